"""``finance-matching.enterprise-push.published.v1`` on ``finance-matching.enterprise-push`` (keyed
by USCC: one event per push, so that whatever tells the enterprise — a notice, a message — follows
its own enterprise's order), built only through its contract."""

from __future__ import annotations

from sme_common.contracts.events.finance_matching.models import EnterprisePushPublishedV1
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var
from sme_finance_matching.lists.events import SOURCE

ENTERPRISE_PUSH_TOPIC = "finance-matching.enterprise-push"


def push_event(payload: EnterprisePushPublishedV1) -> CloudEvent:
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
