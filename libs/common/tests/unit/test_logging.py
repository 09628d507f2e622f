"""While the broker is away the Kafka client's repeated complaints are cut to one line per kind and
window (issue 6, defect 13: ~14,000 lines in 30 s before)."""

from __future__ import annotations

import logging

from sme_common.observability.logging import RepeatLimiter


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
