"""Yearly facts and their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class EnterpriseFacts(Base):
    __tablename__ = "enterprise_facts"

    uscc: Mapped[str] = mapped_column(Text, ForeignKey("enterprise.uscc"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    employees: Mapped[int | None] = mapped_column(Integer)
    operating_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    main_business_revenue_fen: Mapped[int | None] = mapped_column(BigInteger)
    rd_expense_fen: Mapped[int | None] = mapped_column(BigInteger)
    rd_staff: Mapped[int | None] = mapped_column(Integer)
    total_assets_fen: Mapped[int | None] = mapped_column(BigInteger)
    total_liabilities_fen: Mapped[int | None] = mapped_column(BigInteger)
    net_profit_fen: Mapped[int | None] = mapped_column(BigInteger)
    ip_class1_high_value: Mapped[int | None] = mapped_column(Integer)
    ip_class1_self_developed: Mapped[int | None] = mapped_column(Integer)
    ip_class1: Mapped[int | None] = mapped_column(Integer)
    ip_class2: Mapped[int | None] = mapped_column(Integer)
    qualified_equity_raised_fen: Mapped[int | None] = mapped_column(BigInteger)
    niche_market_years: Mapped[int | None] = mapped_column(Integer)
    digital_level: Mapped[int | None] = mapped_column(Integer)
    quality_certifications: Mapped[list[str]] = mapped_column(JSONB, server_default="[]")
    leading_product: Mapped[str | None] = mapped_column(Text)
    leading_product_field: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[str] = mapped_column(Text)


class EnterpriseFactsRevision(Base):
    __tablename__ = "enterprise_facts_revision"

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
