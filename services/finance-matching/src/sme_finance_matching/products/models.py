from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Numeric, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base

RATIO = Numeric(9, 6)


class CreditProduct(Base):
    """A credit product (信贷产品) of one institution."""

    __tablename__ = "credit_product"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, ForeignKey("institution.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    product_type: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    min_amount_fen: Mapped[int] = mapped_column(BigInteger)
    max_amount_fen: Mapped[int] = mapped_column(BigInteger)
    min_rate_ratio: Mapped[Decimal] = mapped_column(RATIO)
    max_rate_ratio: Mapped[Decimal] = mapped_column(RATIO)
    min_term_months: Mapped[int] = mapped_column(Integer)
    max_term_months: Mapped[int] = mapped_column(Integer)
    guarantee_fee_ratio: Mapped[Decimal | None] = mapped_column(RATIO)
    eligible_tiers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    eligible_industry_sections: Mapped[list[str]] = mapped_column(ARRAY(Text))
    eligible_region_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    eligible_size_classes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(Text, index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)
