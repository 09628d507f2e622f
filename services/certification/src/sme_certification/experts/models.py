"""The expert pool and the experts assigned to applications with their scores."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Numeric, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class Expert(Base):
    """An expert of a province's pool (评审专家库). ``subject`` is the ``sub`` of the expert's
    token (role ``expert``): what they see is found by it."""

    __tablename__ = "expert"
    __table_args__ = (Index("ix_expert_province", "province_code"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    subject: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str] = mapped_column(Text)
    home_region_code: Mapped[str] = mapped_column(Text)
    specialities: Mapped[list[str]] = mapped_column(JSONB)
    conflicts: Mapped[list[str]] = mapped_column(JSONB)
    """USCCs the expert declared a conflict of interest with (回避)."""
    active: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class ExpertAssignment(Base):
    """One expert on one application, and their score once given (never shown to the others)."""

    __tablename__ = "expert_assignment"
    __table_args__ = (Index("ix_expert_assignment_expert", "expert_id"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    application_id: Mapped[str] = mapped_column(Text, ForeignKey("application.id"), index=True)
    expert_id: Mapped[str] = mapped_column(Text, ForeignKey("expert.id"))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str] = mapped_column(Text)
    score: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    criteria_scores: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    remarks: Mapped[str | None] = mapped_column(Text)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
