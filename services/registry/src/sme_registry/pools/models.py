"""Cultivation pool entries (培育库), the whole path kept (dynamic management, 动态管理)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class PoolEntry(Base):
    __tablename__ = "pool_entry"
    __table_args__ = (
        Index(
            "uq_pool_entry_open",
            "uscc",
            "pool",
            unique=True,
            postgresql_where=text("left_on IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, ForeignKey("enterprise.uscc"), index=True)
    pool: Mapped[str] = mapped_column(Text)
    entered_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    left_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    source_ref: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(Text)
