from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class FinancingNeed(Base):
    """A financing need (融资需求) of one enterprise."""

    __tablename__ = "financing_need"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text, index=True)
    industry_code: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(Text)
    size_class: Mapped[str | None] = mapped_column(Text)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    purpose: Mapped[str] = mapped_column(Text)
    term_months: Mapped[int] = mapped_column(Integer)
    collateral: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(Text)
    addressed_institution_ids: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(Text, index=True)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class NeedMatch(Base):
    """An eligible product of a need, kept so that its institution (and only it) sees the need;
    refreshed whenever the need changes."""

    __tablename__ = "need_match"

    need_id: Mapped[str] = mapped_column(Text, ForeignKey("financing_need.id"), primary_key=True)
    product_id: Mapped[str] = mapped_column(Text, ForeignKey("credit_product.id"), primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, ForeignKey("institution.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    weights_version: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
