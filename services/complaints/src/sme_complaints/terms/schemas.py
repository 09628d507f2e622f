from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sme_complaints.terms.domain import Evaluation, InterestBasis, PaymentBasis, RespondentType

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
    # The example is what ContractFactsIn's example evaluates to (a public body, acceptance late).
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "regulation": {
                        "code": "sc_802_2025",
                        "name_zh": "保障中小企业款项支付条例（国务院令第802号修订）",
                        "name_en": "Regulation on Ensuring Payments to SMEs, revised (State Council Decree No. 802)",
                        "effective_on": "2025-06-01",
                    },
                    "term_days": 30,
                    "term_starts_on": "2025-08-16",
                    "due_on": "2025-09-15",
                    "as_of": "2025-10-15",
                    "days_overdue": 30,
                    "interest_fen": 1500000,
                    "interest": {
                        "basis": "statutory_daily",
                        "annual_rate_percent": None,
                        "daily_rate": "0.0005",
                        "lpr": None,
                        "interest_fen": 1500000,
                    },
                    "explanation": [
                        {
                            "code": "regulation",
                            "en": "Contract signed 2025-07-01: Regulation on Ensuring Payments to SMEs, revised (State Council Decree No. 802), in force from 2025-06-01",
                            "zh": "合同订立于 2025-07-01：适用保障中小企业款项支付条例（国务院令第802号修订）（2025-06-01 起施行）",
                        },
                        {
                            "code": "term_public_default",
                            "en": "Government body or public institution: 30 days (第九条第一款)",
                            "zh": "机关、事业单位：30日内支付（第九条第一款）",
                        },
                        {
                            "code": "start_acceptance_delayed",
                            "en": "Acceptance was not done within the agreed 15 days: the term runs from the end of that period, 2025-08-16 (第十条)",
                            "zh": "未在约定的15日检验/验收期限内完成验收，视为拖延验收：付款期限自约定期限届满之日 2025-08-16 起算（第十条）",
                        },
                        {
                            "code": "due",
                            "en": "Last day to pay: 2025-09-15 (30 days counted from the day after 2025-08-16); on 2025-10-15, 30 days overdue",
                            "zh": "付款期限届满日：2025-09-15（自 2025-08-16 次日起算30日）；截至 2025-10-15 逾期30日",
                        },
                        {
                            "code": "interest_statutory",
                            "en": "No agreed rate: 0.05% a day (第十七条): 100000000 fen × 0.0005 × 30 days = 1500000 fen (rounded half up to the fen)",
                            "zh": "未约定利率，按每日利率万分之五（第十七条）：100000000分 × 0.0005 × 30日 = 1500000分（四舍五入到分）",
                        },
                    ],
                }
            ]
        }
    )

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


def evaluation_read(result: Evaluation, as_of: date) -> PaymentTermsEvaluation:
    interest = result.interest
    return PaymentTermsEvaluation(
        regulation=RegulationRead(
            code=result.regulation.code,
            name_zh=result.regulation.name_zh,
            name_en=result.regulation.name_en,
            effective_on=result.regulation.effective_on,
        ),
        term_days=result.term_days,
        term_starts_on=result.term_starts_on,
        due_on=result.due_on,
        as_of=as_of,
        days_overdue=result.days_overdue,
        interest_fen=interest.interest_fen if interest else 0,
        interest=None
        if interest is None
        else InterestRead(
            basis=interest.basis,
            annual_rate_percent=interest.annual_rate_percent,
            daily_rate=interest.daily_rate,
            lpr=None if interest.lpr is None else LprRead(**asdict(interest.lpr)),
            interest_fen=interest.interest_fen,
        ),
        explanation=[ExplanationLine(**asdict(line)) for line in result.explanation],
    )
