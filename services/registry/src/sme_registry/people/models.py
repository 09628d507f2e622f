"""Service commissioners (服务专员) and financial advisers (金融顾问), and their enterprises."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class ServicePerson(Base):
    __tablename__ = "service_person"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)


class ServiceAssignment(Base):
    __tablename__ = "service_assignment"
    __table_args__ = (
        Index(
            "uq_service_assignment_open",
            "person_id",
            "uscc",
            unique=True,
            postgresql_where=text("ended_on IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    person_id: Mapped[str] = mapped_column(Text, ForeignKey("service_person.id"))
    uscc: Mapped[str] = mapped_column(Text, ForeignKey("enterprise.uscc"), index=True)
    assigned_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
    # Who ended the assignment and when (recorded_* are who assigned).
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by: Mapped[str | None] = mapped_column(Text)
