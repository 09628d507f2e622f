from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sme_complaints.terms.domain import InterestBasis, PaymentBasis, RespondentType

Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]
Days = Annotated[int, Field(strict=True, ge=0, le=3650)]


class ContractFactsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "respondent_type": "government_body",
                    "contract_signed_on": "2025-07-01",
                    "payment_basis": "acceptance",
                    "delivered_on": "2025-08-01",
                    "inspection_period_days": 15,
                    "accepted_on": None,
                    "agreed_term_days": None,
                    "agreed_annual_rate_percent": None,
                    "amount_owed_fen": 100000000,
                    "as_of": "2025-10-15",
                }
            ]
        },
    )

    respondent_type: RespondentType
    contract_signed_on: Day
    payment_basis: PaymentBasis = PaymentBasis.DELIVERY
    """``delivery`` (交付), ``acceptance`` (检验/验收合格) or ``settlement`` (确认结算金额)."""
    delivered_on: Day | None = None
    inspection_period_days: Days | None = None
    """The inspection or acceptance period agreed in the contract, days from delivery."""
    accepted_on: Day | None = None
    settlement_confirmed_on: Day | None = None
    agreed_term_days: Days | None = None
    agreed_annual_rate_percent: (
        Annotated[Decimal, Field(ge=0, le=100, max_digits=7, decimal_places=4)] | None
    ) = None
    """The agreed late-interest rate, percent a year; none agreed → 0.05% a day."""
    back_to_back_clause: Annotated[bool, Field(strict=True)] = False
    """The contract makes payment wait on, or follow, a third party's payment (背靠背条款)."""
    amount_owed_fen: Annotated[int, Field(strict=True, ge=0, le=10**15)]
    as_of: Day
    """The day to compute days overdue and interest to (inclusive)."""


class ExplanationLine(BaseModel):
    code: str
    en: str
    zh: str


class RegulationRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    effective_on: date


class LprRead(BaseModel):
    published_on: date
    rate_percent: Decimal
    status: str


class InterestRead(BaseModel):
    basis: InterestBasis
    annual_rate_percent: Decimal | None
    daily_rate: Decimal
    lpr: LprRead | None
    interest_fen: int


class PaymentTermsEvaluation(BaseModel):
    regulation: RegulationRead
    term_days: int | None
    term_starts_on: date | None
    due_on: date | None
    """The last day to pay; null while the term has not started (acceptance still in time)."""
    as_of: date
    days_overdue: int
    interest_fen: int
    interest: InterestRead | None
    explanation: list[ExplanationLine]
