"""What other services report about an enterprise: certification, support, financing, complaints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, DateTime, Identity, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class EnterpriseActivity(Base):
    __tablename__ = "enterprise_activity"
    __table_args__ = (Index("ix_enterprise_activity_uscc", "uscc", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    source_service: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(Text, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    summary: Mapped[dict[str, Any]] = mapped_column(JSONB)


class HeldCertificate(Base):
    """A certificate as certification announced it (granted, then perhaps revoked or expired)."""

    __tablename__ = "held_certificate"

    certificate_id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, index=True)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    certificate_number: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(Text)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
