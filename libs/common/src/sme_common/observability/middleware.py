"""ASGI middleware: request id, trace context, metrics and one access log line per request."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sme_common.audit.context import actor_var
from sme_common.errors import error_fields, unexpected_error_response
from sme_common.observability.metrics import HTTP_LATENCY, HTTP_REQUESTS
from sme_common.observability.tracing import continue_trace, request_id_var, traceparent_var

log = structlog.get_logger("sme.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming_id = headers.get("x-request-id", "")
        request_id = incoming_id if _SAFE_REQUEST_ID.match(incoming_id) else str(uuid.uuid4())
        trace = continue_trace(headers.get("traceparent"))
        rid_token = request_id_var.set(request_id)
        tp_token = traceparent_var.set(trace.traceparent)
        actor_token = actor_var.set(None)  # set by ``require`` once the caller is authorised
        status = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"traceparent", trace.traceparent.encode()),
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # Answer here, inside the request's context, so the answer still carries the request id.
            if response_started:
                log.error("unhandled_error", path=scope["path"], **error_fields(exc))
                raise
            response = unexpected_error_response(exc, path=scope["path"])
            await response(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, scope["method"], route).observe(elapsed)
            if not route.endswith(("/healthz", "/readyz", "/metrics")):
                log.info(
                    "http_request",
                    service=self.service,
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            request_id_var.reset(rid_token)
            traceparent_var.reset(tp_token)
            actor_var.reset(actor_token)


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return f"{scope.get('root_path', '')}{path}" if path else "unmatched"
