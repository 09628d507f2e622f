"""Progress of the long commands (``rebuild-directory``, ``replay-dlt``, ``outbox resend``,
``audit verify``), on stderr; their results stay on stdout, unchanged.

- On a terminal (``rich``'s console says it is interactive: a TTY that is not ``TERM=dumb``; the
  ``TTY_INTERACTIVE`` variable overrides it): a live bar with the count, the total when known,
  the elapsed time and a short note.
- Anywhere else (a pipe, a file, CI): no bar and no escape codes, only a plain line at most every
  ``plain_every_s`` (so nothing at all for a command shorter than that).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class CommandProgress:
    """``with CommandProgress("audit verify", unit="records") as progress: progress.update(n, total)``."""

    def __init__(
        self,
        description: str,
        *,
        unit: str,
        console: Console | None = None,
        plain_every_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description = description
        self.unit = unit
        self.console = console if console is not None else Console(stderr=True)
        self.plain_every_s = plain_every_s
        self.clock = clock
        self.live = self.console.is_interactive
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last_plain = clock()

    def __enter__(self) -> Self:
        if self.live:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[note]}"),
                console=self.console,
            )
            self._task = self._bar.add_task(self.description, total=None, unit=self.unit, note="")
            self._bar.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def update(
        self, done: int, total: int | None = None, *, note: str = "", line: str | None = None
    ) -> None:
        """``done`` of ``total`` (None: not known yet); ``line`` replaces the plain line's text."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, total=total, note=note)
            return
        now = self.clock()
        if now - self._last_plain < self.plain_every_s:
            return
        self._last_plain = now
        if line is None:
            of_total = f"/{total:,}" if total is not None else ""
            line = f"{self.description}: {done:,}{of_total} {self.unit}"
            line += f" ({note})" if note else ""
        self.console.file.write(line + "\n")
        self.console.file.flush()


__all__ = ["CommandProgress"]
