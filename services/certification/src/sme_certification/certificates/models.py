"""Certificates, the counters their numbers come from, and bans on reapplying."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class Certificate(Base):
    """One title held by one enterprise. The row is the current state; the audit keeps every
    earlier one (docs/audit.md)."""

    __tablename__ = "certificate"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    number: Mapped[str] = mapped_column(Text, unique=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text, index=True)
    verification_code: Mapped[str] = mapped_column(Text, unique=True)
    # 涉密 enterprises (seed 003 六(一)) never appear in public: verification answers not found.
    classified: Mapped[bool] = mapped_column(Boolean)
    application_id: Mapped[str | None] = mapped_column(Text)
    # "application" (granted by the decision step) or "recorded" (a title granted before the
    # platform existed, 存量, entered by a province officer).
    origin: Mapped[str] = mapped_column(Text)
    re_review_notified_on: Mapped[date | None] = mapped_column(Date)
    re_review_filed_on: Mapped[date | None] = mapped_column(Date)
    re_review_application_id: Mapped[str | None] = mapped_column(Text)
    renewed_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revocation_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)


class CertificateNumberCounter(Base):
    """The last sequence given per prefix, tier and year (locked while a number is taken, so that
    numbers are unique and without gaps: a rolled-back grant gives its number back)."""

    __tablename__ = "certificate_number_counter"

    prefix: Mapped[str] = mapped_column(Text, primary_key=True)
    tier_code: Mapped[str] = mapped_column(Text, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class ReapplicationBan(Base):
    """No new application from ``uscc`` from ``starts_on`` to ``ends_on`` (its last day)."""

    __tablename__ = "reapplication_ban"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    certificate_id: Mapped[str] = mapped_column(Text, ForeignKey("certificate.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
