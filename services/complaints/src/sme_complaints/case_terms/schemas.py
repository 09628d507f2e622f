from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sme_complaints.terms.domain import PaymentBasis, RespondentType
from sme_complaints.terms.schemas import ExplanationLine, PaymentTermsEvaluation

Day = Annotated[date, Field(ge=date(1990, 1, 1), le=date(2100, 12, 31))]


class CasePaymentTermsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: Day | None = None
    """The day to compute days overdue and interest to (inclusive); today when not given."""


class CaseContractFacts(BaseModel):
    """The facts of the case the rules were applied to, as the case stores them."""

    respondent_type: RespondentType
    contract_signed_on: date
    payment_basis: PaymentBasis
    delivered_on: date | None
    accepted_on: date | None
    agreed_term_days: int | None
    agreed_annual_rate_percent: Decimal | None
    """The case's agreed daily rate (a ratio) × 360 × 100: the terms rules turn an annual rate
    back into a daily one by dividing by 360, so the daily rate agreed is the one applied."""
    amount_owed_fen: int
    """The amount owed as complained at intake (interest runs on it; payments recorded at the
    resolution are shown on the case, not deducted here)."""


class CasePaymentTerms(BaseModel):
    """When payment fell due on the case's contract, the days overdue and the late interest
    (逾期利息) to ``as_of``, with the explanation (``terms.domain.evaluate``)."""

    case_id: str
    as_of: date
    facts: CaseContractFacts
    determined: bool
    """False when the stored facts do not let the rules fix the due date or the rate; then
    ``not_determined`` says why (never a guess)."""
    evaluation: PaymentTermsEvaluation | None
    not_determined: ExplanationLine | None
    notes: list[ExplanationLine]
