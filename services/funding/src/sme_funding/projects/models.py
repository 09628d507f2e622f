"""Tables of the subsidy projects module: the project, its evidence documents (metadata; the
content is in the evidence storage) and its steps."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_funding.metadata import Base


class SubsidyProject(Base):
    """A subsidy project (项目补助) under one SUBSIDY_PROJECT policy."""

    __tablename__ = "subsidy_project"
    __table_args__ = (
        Index("ix_subsidy_project_uscc", "uscc"),
        Index("ix_subsidy_project_status", "status"),
        Index("ix_subsidy_project_region_code", "region_code"),
        Index("ix_subsidy_project_reporting_unit_code", "reporting_unit_code"),
        Index(
            "uq_subsidy_project_entitlement_id",
            "entitlement_id",
            unique=True,
            postgresql_where=text("entitlement_id IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    """The enterprise's county (区县) when filed."""
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    """The enterprise's 市州."""
    policy_code: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    period_from_on: Mapped[date] = mapped_column(Date)
    period_to_on: Mapped[date] = mapped_column(Date)
    declared_eligible_spend_fen: Mapped[int] = mapped_column(BigInteger)
    declared_total_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    accepted_eligible_spend_fen: Mapped[int | None] = mapped_column(BigInteger)
    accepted_total_investment_fen: Mapped[int | None] = mapped_column(BigInteger)
    accepted_rate_ratio: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    accepted_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    """Under an "up to" policy: the amount the officer set."""
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    """The amount the policy gives for the accepted figures (set on acceptance)."""
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    remarks: Mapped[dict[str, str]] = mapped_column(JSONB)
    """The last return's remarks, per field."""
    status: Mapped[str] = mapped_column(Text)
    filed_on: Mapped[date] = mapped_column(Date)
    declared_on: Mapped[date | None] = mapped_column(Date)
    filed_by: Mapped[str] = mapped_column(Text)
    attested_by: Mapped[str | None] = mapped_column(Text)
    checked_by: Mapped[str | None] = mapped_column(Text)
    accepted_by: Mapped[str | None] = mapped_column(Text)
    entitled_by: Mapped[str | None] = mapped_column(Text)
    entitlement_id: Mapped[str | None] = mapped_column(Text, ForeignKey("entitlement.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer)


class ProjectEvidence(Base):
    """An evidence document of a project: its metadata; the content is in the evidence storage
    under ``storage_key``."""

    __tablename__ = "project_evidence"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    project_id: Mapped[str] = mapped_column(Text, ForeignKey("subsidy_project.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    """What it supports (``invoice``, ``audit_report``, ``contract`` …)."""
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(Text)
    storage_key: Mapped[str] = mapped_column(Text, unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    uploaded_by: Mapped[str] = mapped_column(Text)


class ProjectStep(Base):
    """One step of a project: who, in which role, when, from what to what, with what remarks."""

    __tablename__ = "project_step"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    project_id: Mapped[str] = mapped_column(Text, ForeignKey("subsidy_project.id"), index=True)
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    actor_role: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    remarks: Mapped[str | None] = mapped_column(Text)
    field_remarks: Mapped[dict[str, str]] = mapped_column(JSONB)
