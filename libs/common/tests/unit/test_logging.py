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


def test_a_logger_kept_from_its_first_use_writes_to_the_handler_installed_since(
    restore_logging: None,
) -> None:
    """Our JSON lines skip the standard library's records (one access line on every request's
    path) but still follow the handler configure_logging installs, as records did."""
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", stream=first)
    log = structlog.get_logger("sme.test")
    log.info("first_line")
    configure_logging("INFO", stream=second)
    log.info("second_line", count=2)
    assert [json.loads(line)["event"] for line in first.getvalue().splitlines()] == ["first_line"]
    [line] = [json.loads(line) for line in second.getvalue().splitlines()]
    assert (line["event"], line["count"], line["level"], line["logger"]) == (
        "second_line",
        2,
        "info",
        "sme.test",
    )


def test_a_value_orjson_refuses_is_still_logged_and_chinese_stays_readable(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    structlog.get_logger("sme.test").warning("odd_input", amount=2**70, name="兰州市")
    [raw] = out.getvalue().splitlines()
    assert "兰州市" in raw
    line = json.loads(raw)
    assert (line["amount"], line["name"], line["level"]) == (2**70, "兰州市", "warning")


def test_an_exception_is_rendered_into_the_json_line(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging("INFO", stream=out)
    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger("sme.test").exception("failed")
    line = json.loads(out.getvalue())
    assert line["level"] == "error" and "ValueError: boom" in line["exception"]
