"""Enterprise demands (诉求工作台账) and their steps.

A table of their own rather than a ``kind`` column on ``complaint_case``: a complaint carries a
respondent, a contract, an amount owed and the complainant's confidential contact, all NOT NULL
and meaningful only there; a demand has none of them, and its place is the enterprise's own region
(the complaint's is the respondent's). What the two kinds share is the clock machinery, which is
pure (``cases.domain``) and reused as functions, not as columns."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
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


class EnterpriseDemand(Base):
    __tablename__ = "enterprise_demand"
    __table_args__ = (
        UniqueConstraint("channel_id", "work_order_no"),
        Index("ix_enterprise_demand_region", "region_code"),
        Index("ix_enterprise_demand_unit", "reporting_unit_code"),
        Index("ix_enterprise_demand_uscc", "uscc"),
        Index("ix_enterprise_demand_department_due", "department_id", "due_on"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    channel_id: Mapped[str] = mapped_column(Text)
    work_order_no: Mapped[str | None] = mapped_column(Text)
    uscc: Mapped[str] = mapped_column(Text)
    enterprise_name: Mapped[str] = mapped_column(Text)
    # The enterprise's place (属地): the region scope of officers.
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    topic_code: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str | None] = mapped_column(Text)
    recorded_on: Mapped[date] = mapped_column(Date)
    assigned_on: Mapped[date | None] = mapped_column(Date)
    answered_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    reopen_count: Mapped[int] = mapped_column(Integer)
    clock: Mapped[str | None] = mapped_column(Text)
    clock_started_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    deadline_unknown: Mapped[str | None] = mapped_column(Text)
    breached_on: Mapped[date | None] = mapped_column(Date)
    reminded_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    confirmation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TS)
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(TS)
    updated_by: Mapped[str] = mapped_column(Text)


class DemandStepRow(Base):
    __tablename__ = "enterprise_demand_step"
    __table_args__ = (Index("ix_enterprise_demand_step_demand", "demand_id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    demand_id: Mapped[str] = mapped_column(Text, ForeignKey("enterprise_demand.id"))
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    department_id: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    acted_on: Mapped[date] = mapped_column(Date)
    acted_at: Mapped[datetime] = mapped_column(TS)
    acted_by: Mapped[str] = mapped_column(Text)
