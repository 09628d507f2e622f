"""While the broker is away the Kafka client's repeated complaints are cut to one line per kind and
window (issue 6, defect 13: ~14,000 lines in 30 s before). A person at a terminal reads lines, not
JSON, and the libraries' chatter stays below WARNING (issue 7, point 7)."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
import structlog

from sme_common.observability.logging import RepeatLimiter, configure_logging, renderer_for


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeated_kafka_client_lines_pass_once_per_window_with_a_count_of_the_rest() -> None:
    now = [0.0]
    limiter = RepeatLimiter(window_s=10.0, clock=lambda: now[0])
    template = "Unable connect to node with id %s: %s"
    passed = [limiter.filter(record("aiokafka.conn", template, 1, n)) for n in range(1000)]
    assert passed.count(True) == 1
    assert limiter.filter(record("aiokafka.cluster", "Unable to update metadata from %s", [1]))
    now[0] = 10.0
    later = record("aiokafka.conn", template, 1, "again")
    assert limiter.filter(later)
    assert "999 more like this" in later.getMessage()


def test_lines_from_other_loggers_are_never_dropped() -> None:
    limiter = RepeatLimiter(clock=lambda: 0.0)
    assert all(limiter.filter(record("uvicorn.access", "%s GET /", n)) for n in range(50))


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_a_terminal_gets_readable_lines_and_a_pipe_or_production_gets_json() -> None:
    assert renderer_for(Terminal()) == "console"
    assert renderer_for(io.StringIO()) == "json"
    assert renderer_for(Terminal(), environment="production") == "json"
    assert renderer_for(Terminal(), environment="dev") == "console"


def test_on_a_terminal_our_events_and_library_warnings_share_one_readable_format(
    restore_logging: None,
) -> None:
    out = Terminal()
    assert configure_logging("INFO", stream=out) == "console"
    structlog.get_logger("sme.test").info("enterprise_registered", uscc="91620000MA00000001")
    logging.getLogger("aiokafka.conn").warning("Unable connect to node with id %s", 1)
    lines = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue()).splitlines()  # colours
    assert len(lines) == 2
    assert "enterprise_registered" in lines[0] and "uscc=91620000MA00000001" in lines[0]
    assert "Unable connect to node with id 1" in lines[1] and "aiokafka.conn" in lines[1]
    assert not any(line.lstrip().startswith("{") for line in lines)


def test_in_a_pipe_every_line_is_json_and_library_chatter_below_warning_is_dropped(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    assert configure_logging("INFO", stream=out) == "json"
    structlog.get_logger("sme.test").info("enterprise_registered", uscc="91620000MA00000001")
    logging.getLogger("aiokafka.conn").info("Connected to node 1")
    logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /health HTTP/1.1" 200')
    logging.getLogger("alembic.runtime.migration").info("Running upgrade -> 0001")
    logging.getLogger("aiokafka.cluster").warning("Topic %s not found", "t")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(line["event"], line["level"]) for line in lines] == [
        ("enterprise_registered", "info"),
        ("Topic t not found", "warning"),
    ]
    assert lines[0]["uscc"] == "91620000MA00000001" and lines[1]["logger"] == "aiokafka.cluster"
