"""``finance-matching.loan.reported.v1`` on ``finance-matching.loan`` (keyed by USCC), built only
through its contract; registry records it in the enterprise's financing history."""

from __future__ import annotations

from sme_common.contracts.events.finance_matching.models import LoanReportedV1
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var
from sme_finance_matching.feedback.models import LoanFeedback
from sme_finance_matching.needs.events import SOURCE

LOAN_TOPIC = "finance-matching.loan"


def _ratio(value: object) -> str | None:
    return None if value is None else format(value, "f")


def reported(feedback: LoanFeedback) -> LoanReportedV1:
    # The fields added within v1 are left out when unknown (never sent as null), so a consumer
    # of the first release reads the event as it always did.
    added = {
        "need_id": feedback.need_id,
        "institution_kind": feedback.institution_kind,
        "outcome_on": feedback.outcome_on,
        "guarantee_fee_rate": _ratio(feedback.guarantee_fee_ratio),
        "product_id": feedback.product_id,
        "first_time_borrower": feedback.first_time_borrower,
        "refusal_reason_code": feedback.refusal_reason_code,
        "refusal_reason": feedback.refusal_reason,
    }
    return LoanReportedV1(
        report_id=feedback.id,
        uscc=feedback.uscc,
        institution_id=feedback.institution_id,
        outcome=feedback.outcome,
        amount_fen=feedback.amount_fen,
        annual_rate=_ratio(feedback.annual_rate_ratio),
        term_months=feedback.term_months,
        reported_at=feedback.reported_at,
        **{name: value for name, value in added.items() if value is not None},
    )


def loan_event(payload: LoanReportedV1) -> CloudEvent:
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
