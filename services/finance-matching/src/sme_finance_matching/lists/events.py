"""The event list push publishes on ``finance-matching.snapshot`` (keyed by the institution),
built only through its contract (``sme_common.contracts.events.finance_matching.models``)."""

from __future__ import annotations

from sme_common.contracts.events.finance_matching.models import SnapshotPublishedV1
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/finance-matching"
SNAPSHOT_TOPIC = "finance-matching.snapshot"


def snapshot_event(payload: SnapshotPublishedV1) -> CloudEvent:
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
