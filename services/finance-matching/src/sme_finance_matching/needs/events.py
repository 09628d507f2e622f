"""The events the needs module publishes on ``finance-matching.need`` (keyed by USCC), built only
through their contracts (``sme_common.contracts.events.finance_matching.models``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sme_common.contracts.events.finance_matching.models import MatchedProductV1, NeedMatchedV1
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var
from sme_finance_matching.needs.domain import Match

SOURCE = "/sme/finance-matching"
NEED_TOPIC = "finance-matching.need"


def need_event(payload: NeedMatchedV1) -> CloudEvent:
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )


def matched(
    *,
    need_id: str,
    uscc: str,
    amount_fen: int,
    term_months: int,
    matches: Sequence[Match],
    weights_version: str,
    matched_at: datetime,
) -> NeedMatchedV1:
    return NeedMatchedV1(
        need_id=need_id,
        uscc=uscc,
        amount_fen=amount_fen,
        term_months=term_months,
        matches=[
            MatchedProductV1(
                institution_id=m.institution_id, product_id=m.product_id, score=m.score
            )
            for m in matches
        ],
        weights_version=weights_version,
        matched_at=matched_at,
    )
