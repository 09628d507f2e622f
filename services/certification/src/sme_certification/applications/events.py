"""Events the applications module publishes on ``certification.application``, built only through
their contracts (``sme_common.contracts.events.certification.models``)."""

from __future__ import annotations

from sme_common.contracts.base import EventData
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/certification"
APPLICATION_TOPIC = "certification.application"


def application_event(payload: EventData) -> CloudEvent:
    """An event about one application, keyed by the enterprise's USCC (its events stay in order
    with the enterprise's other events), carrying the request's trace."""
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
