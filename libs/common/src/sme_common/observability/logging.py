"""One logging pipeline for our events and the libraries' (aiokafka, uvicorn, alembic, …): JSON lines
with the request id and trace id of the current context, or, on a terminal outside production, lines
a person can read (structlog's console renderer). Library chatter is kept at WARNING.

Our own events, in JSON, go from structlog straight to the one handler's stream (``_LineLogger``):
one access line per request is on every request's path, and the standard library's record, caller
lookup and formatter cost more than the request's own work on a delta pull (docs/benchmarks.md).
The libraries' records still go through the standard library to the same handler."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Literal, TextIO

import orjson
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

    def write_line(self, line: str) -> None:
        """A line structlog rendered (``_LineLogger``), under the lock the records' lines take."""
        # The lock is created in Handler.__init__ (typed Optional for createLock's sake).
        with self.lock:  # type: ignore[union-attr]
            if self._follows_stderr:
                self.stream = sys.stderr
            self.stream.write(line + self.terminator)
            self.stream.flush()


_ROOT = logging.getLogger()


class _LineLogger:
    """structlog's logger for our own events when lines are JSON: the rendered line goes to the
    stream of the handler ``configure_logging`` installed on the root logger, looked up on each
    line (structlog keeps a module's logger from its first use; the handler may have been
    replaced since). Whatever the level (filtered before), it is one method."""

    def __init__(self, name: str = "") -> None:
        self.name = name  # structlog.stdlib.add_logger_name reads it

    def msg(self, line: str) -> None:
        for handler in _ROOT.handlers:
            if isinstance(handler, _OurHandler):
                handler.write_line(line)
                return

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _json_line(event: Any, **options: Any) -> str:
    """orjson (non-ASCII as UTF-8, as ``ensure_ascii=False``); the standard encoder for what orjson
    refuses (an integer beyond 64 bits), so that a log line never fails the request it reports."""
    default = options.get("default")
    try:
        return orjson.dumps(event, default=default, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(event, default=default, ensure_ascii=False)


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
            structlog.processors.JSONRenderer(serializer=_json_line),
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
    if chosen == "json":
        # Rendered here and written by the handler (the module docstring says why).
        processors: list[Any] = [structlog.contextvars.merge_contextvars, *context, *final]
        factory: Any = _LineLogger
    else:
        processors = [
            structlog.contextvars.merge_contextvars,
            *context,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ]
        factory = structlog.stdlib.LoggerFactory()
    structlog.configure(
        processors=processors,
        logger_factory=factory,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        cache_logger_on_first_use=True,
    )
    return chosen
