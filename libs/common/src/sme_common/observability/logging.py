"""One logging pipeline for our events and the libraries' (aiokafka, uvicorn, alembic, …): JSON lines
with the request id and trace id of the current context, or, on a terminal outside production, lines
a person can read (structlog's console renderer). Library chatter is kept at WARNING."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Literal, TextIO

import structlog

from sme_common.observability.tracing import current_trace_id, request_id_var


def _add_context(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    request_id = request_id_var.get()
    if request_id:
        event.setdefault("request_id", request_id)
    trace_id = current_trace_id()
    if trace_id:
        event.setdefault("trace_id", trace_id)
    return event


class RepeatLimiter(logging.Filter):
    """One line per message template and ``window_s`` from the Kafka client.

    While the broker is away aiokafka repeats "Unable connect to node …" and friends for every
    client many times a second (~14,000 lines in 30 s for the embedded run). The first line of a
    kind passes; repeats within the window are counted, and the next line let through says how many
    were dropped.
    """

    def __init__(
        self,
        prefixes: tuple[str, ...] = ("aiokafka",),
        window_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        last, dropped = self._seen.get(key, (float("-inf"), 0))
        if now - last < self.window_s:
            self._seen[key] = (last, dropped + 1)
            return False
        self._seen[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like this in the last {self.window_s:g}s)"
        return True


# Libraries whose INFO lines are chatter to someone running the platform (connections, every
# request, every migration step, uvicorn's start-up and shut-down steps); their warnings and
# errors still come through.
QUIET_LIBRARIES = ("aiokafka", "kafka", "uvicorn", "alembic", "httpx")

Renderer = Literal["console", "json"]


def renderer_for(stream: TextIO, environment: str | None = None) -> Renderer:
    """Readable lines for a person at a terminal; JSON for machines and in production."""
    if environment == "production":
        return "json"
    isatty = getattr(stream, "isatty", None)
    return "console" if isatty is not None and isatty() else "json"


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler configure_logging installs (replaced, not stacked, when called again).

    Without a stream of its own it writes to whatever ``sys.stderr`` is at the time: a progress
    bar on the terminal (sme_common.progress) replaces it for a while, to print lines above the
    bar instead of through it."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self._follows_stderr = stream is None

    def emit(self, record: logging.LogRecord) -> None:
        if self._follows_stderr:
            self.stream = sys.stderr
        super().emit(record)


def configure_logging(
    level: str = "INFO", *, environment: str | None = None, stream: TextIO | None = None
) -> Renderer:
    """Route structlog, the standard library's logging and Python's warnings through one handler
    on ``stream`` (stderr); returns the renderer chosen (``renderer_for``)."""
    chosen = renderer_for(stream if stream is not None else sys.stderr, environment)
    numeric_level = logging.getLevelName(level.upper())
    context: list[Any] = [
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_context,
    ]
    final: list[Any] = (
        # https://no-color.org
        [structlog.dev.ConsoleRenderer(colors="NO_COLOR" not in os.environ)]
        if chosen == "console"
        else [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    )
    handler = _OurHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=context,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
        )
    )
    handler.addFilter(RepeatLimiter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric_level)
    # Python's warnings (a library's deprecation, platformdirs' RuntimeDirWarning …) as log lines
    # in the same format, instead of bare text among them.
    logging.captureWarnings(True)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(numeric_level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *context,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    return chosen
