"""The read model of registry facts: yearly facts, credit flags and the size class per enterprise.

Copies of registry's events (audited where they were written), so not captured by this service's
audit, like the enterprise directory.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class RegistryYearFacts(Base):
    """One year's facts as registry last announced them (``facts-filed.v1``)."""

    __tablename__ = "registry_year_facts"

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ratios: Mapped[dict[str, Any]] = mapped_column(JSONB)
    registry_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RegistryCreditFlag(Base):
    """A credit flag as registry last announced it (``flags-changed.v1``)."""

    __tablename__ = "registry_credit_flag"

    flag_id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    last_change: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RegistrySizeClass(Base):
    """The SME size class registry decided under 300号 (``size-class-changed.v1``)."""

    __tablename__ = "registry_size_class"

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    size_class: Mapped[str | None] = mapped_column(Text)
    basis_year: Mapped[int | None] = mapped_column(Integer)
    rule_version: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
