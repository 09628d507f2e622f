from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class CertifiedEnterprise(Base):
    """The title an enterprise holds, as certification announced it (认定企业): one row per
    enterprise, its latest certificate."""

    __tablename__ = "certified_enterprise"
    __table_args__ = (Index("ix_certified_enterprise_status", "status", "tier"),)

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    certificate_id: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    change_seq: Mapped[int] = mapped_column(BigInteger)


class CertifiedChange(Base):
    """One change of the certified population, in commit order (``seq``): the source of the
    list deltas."""

    __tablename__ = "certified_change"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)
    certificate_id: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    previous_tier: Mapped[str | None] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
