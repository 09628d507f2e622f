"""Complaint cases, their steps and their pauses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_complaints.metadata import Base

TS = DateTime(timezone=True)


class ComplaintCase(Base):
    __tablename__ = "complaint_case"
    __table_args__ = (
        # The hotline's work order (and an agency's reference) names one case per channel.
        UniqueConstraint("channel_id", "work_order_no"),
        Index("ix_complaint_case_region", "region_code"),
        Index("ix_complaint_case_unit", "reporting_unit_code"),
        Index("ix_complaint_case_complainant", "complainant_uscc"),
        Index("ix_complaint_case_department_due", "department_id", "due_on"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    channel: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[str] = mapped_column(Text)
    work_order_no: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(Text)
    complainant_uscc: Mapped[str] = mapped_column(Text)
    complainant_name: Mapped[str] = mapped_column(Text)
    complainant_size_class: Mapped[str] = mapped_column(Text)
    # Personal data (保密, 第二十五条): only through the audited contact route.
    contact_name: Mapped[str] = mapped_column(Text)
    contact_phone: Mapped[str] = mapped_column(Text)
    respondent_name: Mapped[str] = mapped_column(Text)
    respondent_uscc: Mapped[str | None] = mapped_column(Text)
    respondent_type: Mapped[str] = mapped_column(Text)
    # The case's place is the respondent's (属地管理): the region scope of officers.
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    contract: Mapped[dict[str, Any]] = mapped_column(JSONB)
    amount_owed_fen: Mapped[int] = mapped_column(BigInteger)
    other_proceedings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    description: Mapped[str | None] = mapped_column(Text)
    registry_facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    possible_duplicate_of: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str | None] = mapped_column(Text)
    received_on: Mapped[date] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    transferred_on: Mapped[date | None] = mapped_column(Date)
    department_received_on: Mapped[date | None] = mapped_column(Date)
    extended: Mapped[bool] = mapped_column(Boolean)
    # The running statutory clock: which one, from when, its last day (pauses included).
    clock: Mapped[str | None] = mapped_column(Text)
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    clock_paused_workdays: Mapped[int] = mapped_column(Integer)
    clock_paused_days: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date | None] = mapped_column(Date)
    deadline_unknown: Mapped[str | None] = mapped_column(Text)
    paused_since: Mapped[date | None] = mapped_column(Date)
    breached_on: Mapped[date | None] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TS)
    updated_by: Mapped[str] = mapped_column(Text)


class CaseStep(Base):
    __tablename__ = "complaint_case_step"
    __table_args__ = (Index("ix_complaint_case_step_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[str] = mapped_column(Text, ForeignKey("complaint_case.id"))
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    acted_on: Mapped[date] = mapped_column(Date)
    acted_at: Mapped[datetime] = mapped_column(TS)
    acted_by: Mapped[str] = mapped_column(Text)


class CasePause(Base):
    __tablename__ = "complaint_case_pause"
    __table_args__ = (Index("ix_complaint_case_pause_case", "case_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    case_id: Mapped[str] = mapped_column(Text, ForeignKey("complaint_case.id"))
    clock: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    paused_workdays: Mapped[int | None] = mapped_column(Integer)
    paused_days: Mapped[int | None] = mapped_column(Integer)
