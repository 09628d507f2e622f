"""The events the entitlements module publishes on ``funding.entitlement`` (keyed by USCC), built
only through their contracts (``sme_common.contracts.events.funding.models``)."""

from __future__ import annotations

from datetime import datetime

from sme_common.contracts.base import EventData
from sme_common.contracts.events.funding.models import EntitlementCreatedV1
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/funding"
ENTITLEMENT_TOPIC = "funding.entitlement"


def entitlement_event(payload: EventData) -> CloudEvent:
    """An event about one enterprise's entitlement, keyed by its USCC, carrying the trace."""
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )


def created(
    *,
    entitlement_id: str,
    uscc: str,
    policy_code: str,
    amount_fen: int,
    status: str,
    certificate_id: str | None,
    created_at: datetime,
) -> EntitlementCreatedV1:
    return EntitlementCreatedV1.model_validate(
        {
            "entitlement_id": entitlement_id,
            "uscc": uscc,
            "policy_code": policy_code,
            "amount_fen": amount_fen,
            "status": status,
            "certificate_id": certificate_id,
            "created_at": created_at,
        }
    )
