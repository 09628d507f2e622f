"""Prometheus metrics. Module-level because the Prometheus registry is process-wide; every series
carries a ``service`` label so the embedded single process still tells the services apart."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "sme_http_requests_total", "HTTP requests served", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "sme_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_PUBLISHED = Counter("sme_outbox_published_total", "Outbox rows published", ["service"])
OUTBOX_RELAY_FAILURES = Counter(
    "sme_outbox_relay_failures_total", "Outbox relay failures (retried)", ["service"]
)
OUTBOX_PARKED = Counter(
    "sme_outbox_parked_total",
    "Outbox rows parked because the broker refused them for good (see `outbox parked`)",
    ["service"],
)
BROKER_STATE_LOST = Counter(
    "sme_broker_state_lost_total",
    "Times a relay found its epoch topic gone (the broker lost its log) and re-published",
    ["service"],
)
OUTBOX_REPUBLISHED = Counter(
    "sme_outbox_republished_total",
    "Published outbox rows queued again after the broker lost its log",
    ["service"],
)
CONSUMER_EVENTS = Counter(
    "sme_consumer_events_total", "Events handled by consumers, by outcome", ["consumer", "outcome"]
)
CONSUMER_UNTRUSTED_EVENTS = Counter(
    "sme_consumer_untrusted_events_total",
    "Events refused because they did not come from the service owning their type",
    ["consumer", "reason"],
)
