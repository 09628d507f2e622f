"""The enterprise table. Keyed by USCC (api-guidelines.md: enterprises are addressed by USCC)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class Enterprise(Base):
    __tablename__ = "enterprise"

    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    legal_representative: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text, index=True)
    reporting_unit_code: Mapped[str] = mapped_column(Text, index=True)
    industry_code: Mapped[str | None] = mapped_column(Text)
    founded_on: Mapped[date | None] = mapped_column(Date)
    operating_status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
