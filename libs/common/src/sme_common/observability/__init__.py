"""Logs, traces and metrics: structlog JSON with request and trace ids, W3C traceparent, Prometheus."""
