"""The enterprise table and its revisions. Keyed by USCC (api-guidelines.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class Enterprise(Base):
    __tablename__ = "enterprise"
    __table_args__ = (
        Index(
            "ix_enterprise_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ),
        Index("ix_enterprise_updated_at", "updated_at", "uscc"),
        # Two-character name searches (sme_bigrams is created by migration 0002).
        Index("ix_enterprise_name_bigrams", text("sme_bigrams(name)"), postgresql_using="gin"),
    )

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    former_names: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    legal_representative: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    reporting_unit_code: Mapped[str] = mapped_column(Text, index=True)
    industry_code: Mapped[str | None] = mapped_column(Text, index=True)
    founded_on: Mapped[date | None] = mapped_column(Date)
    operating_status: Mapped[str] = mapped_column(Text)
    tier: Mapped[str | None] = mapped_column(Text)
    size_class: Mapped[str | None] = mapped_column(Text)
    size_class_year: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(Text)


class EnterpriseRevision(Base):
    """Every version of every enterprise, for history and as-of reads."""

    __tablename__ = "enterprise_revision"
    __table_args__ = (Index("ix_enterprise_revision_recorded_at", "uscc", "recorded_at"),)

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_type: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSONB)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
