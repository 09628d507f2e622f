from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class LoanFeedback(Base):
    """An institution's report (反馈) on an enterprise or one of its financing needs: immutable,
    unique by the institution's own ``external_id``."""

    __tablename__ = "loan_feedback"
    __table_args__ = (UniqueConstraint("institution_id", "external_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, ForeignKey("institution.id"), index=True)
    institution_kind: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    need_id: Mapped[str | None] = mapped_column(Text, ForeignKey("financing_need.id"), index=True)
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    outcome_on: Mapped[date] = mapped_column(Date, index=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    annual_rate_ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    term_months: Mapped[int | None] = mapped_column(Integer)
    guarantee_fee_ratio: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    product_id: Mapped[str | None] = mapped_column(Text, ForeignKey("credit_product.id"))
    first_time_borrower: Mapped[bool | None] = mapped_column(Boolean)
    refusal_reason_code: Mapped[str | None] = mapped_column(Text)
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    need_status: Mapped[str | None] = mapped_column(Text)
    """The need's status once this report was applied."""
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(Text)
