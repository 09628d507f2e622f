"""Events the cases module publishes on ``complaints.case``, built only through their contracts
(``sme_common.contracts.events.complaints.models``)."""

from __future__ import annotations

from sme_common.contracts.base import EventData
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/complaints"
CASE_TOPIC = "complaints.case"


def case_event(payload: EventData) -> CloudEvent:
    """An event about one case, keyed by the USCC of the enterprise concerned, carrying the
    request's trace."""
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
