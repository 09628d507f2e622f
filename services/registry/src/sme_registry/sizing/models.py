"""Size-class decisions over time (the payment regulation fixes size at the contract date)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Identity, Index, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class SizeClassRecord(Base):
    __tablename__ = "size_class_record"
    __table_args__ = (Index("ix_size_class_record_uscc", "uscc", "decided_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    size_class: Mapped[str | None] = mapped_column(Text)
    basis_year: Mapped[int | None] = mapped_column(Integer)
    rule_version: Mapped[str] = mapped_column(Text)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
