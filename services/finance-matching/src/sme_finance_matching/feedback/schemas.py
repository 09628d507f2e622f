from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sme_common.pagination import CursorParameter
from sme_finance_matching.feedback.domain import Outcome, RefusalReason
from sme_finance_matching.fields import AmountFen, FreeText, Ratio, RefId, TermMonths, Uscc
from sme_finance_matching.institutions.domain import InstitutionKind, Tier
from sme_finance_matching.needs.domain import NeedStatus

FIRST_DAY = date(2000, 1, 1)

_GRANTED: dict[str, Any] = {
    "external_id": "GSB-2026-000123",
    "need_id": "need_0123456789ab",
    "uscc": "91620102MA00001038",
    "outcome": "granted",
    "outcome_on": "2026-11-25",
    "amount_fen": 300_000_000,
    "annual_rate_ratio": "0.0345",
    "term_months": 24,
    "product_id": "prod_0123456789ab",
    "first_time_borrower": True,
}


class FeedbackCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_GRANTED]})

    external_id: RefId
    """The institution's own reference for this report: posting it again with the same content
    answers the same report; with other content, 409 ``feedback_conflict``."""
    uscc: Uscc | None = None
    """The enterprise (required without ``need_id``; with it, must be the need's)."""
    need_id: RefId | None = None
    """A financing need addressed or matched to the institution."""
    outcome: Outcome
    outcome_on: date | None = Field(default=None, ge=FIRST_DAY)
    """The day of the outcome (today, Asia/Shanghai, when left out)."""
    amount_fen: AmountFen | None = None
    """granted: the amount lent (a guarantee agency: guaranteed)."""
    annual_rate_ratio: Ratio | None = None
    """granted: the loan's annual rate (``"0.0345"`` is 3.45 %)."""
    term_months: TermMonths | None = None
    guarantee_fee_ratio: Ratio | None = None
    """granted: the annual guarantee fee rate (担保费率) of a guarantee or a guaranteed loan."""
    product_id: RefId | None = None
    """granted: one of the institution's own credit products."""
    first_time_borrower: bool | None = None
    """granted: the enterprise's first loan from any bank (首贷户)."""
    refusal_reason_code: RefusalReason | None = None
    refusal_reason: FreeText | None = None


class FeedbackRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "fb_0123456789ab",
                    **_GRANTED,
                    "institution_id": "inst_0123456789ab",
                    "institution_kind": "bank",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "tier": "specialised",
                    "guarantee_fee_ratio": None,
                    "refusal_reason_code": None,
                    "refusal_reason": None,
                    "need_status": "granted",
                    "reported_at": "2026-11-26T02:00:00+00:00",
                    "reported_by": "client:gansu-example-bank",
                }
            ]
        },
    )

    id: str
    external_id: str
    institution_id: str
    institution_kind: InstitutionKind
    uscc: str
    need_id: str | None
    region_code: str
    reporting_unit_code: str
    tier: Tier | None
    """The tier declared on the need (None for a report on the enterprise alone)."""
    outcome: Outcome
    outcome_on: date
    amount_fen: int | None
    annual_rate_ratio: Decimal | None
    term_months: int | None
    guarantee_fee_ratio: Decimal | None
    product_id: str | None
    first_time_borrower: bool | None
    refusal_reason_code: RefusalReason | None
    refusal_reason: str | None
    need_status: NeedStatus | None
    """The need's status once the report was applied."""
    reported_at: datetime
    reported_by: str


class FeedbackPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": FeedbackRead.model_json_schema()["examples"], "next_cursor": None}
            ]
        }
    )

    items: list[FeedbackRead]
    next_cursor: str | None


class FeedbackFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc | None = None
    need_id: RefId | None = None
    institution_id: RefId | None = None
    outcome: Outcome | None = None
    from_on: date | None = Field(default=None, ge=FIRST_DAY)
    to_on: date | None = Field(default=None, ge=FIRST_DAY)
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)
