"""Public notices (公示), the applications in them, and the objections filed against them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_certification.metadata import Base


class Notice(Base):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_province_dates", "province_code", "starts_on", "ends_on"),)

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    province_code: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    """The last day of the notice (objections are taken through it)."""
    length: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)


class NoticeEntry(Base):
    __tablename__ = "notice_entry"

    notice_id: Mapped[str] = mapped_column(Text, ForeignKey("notice.id"), primary_key=True)
    application_id: Mapped[str] = mapped_column(
        Text, ForeignKey("application.id"), primary_key=True, unique=True
    )


class Objection(Base):
    """异议: filed by the public (real name and a contact, as Jiangsu's notices ask) or by an
    officer on someone's behalf; resolved by the province (upheld → rejected; dismissed)."""

    __tablename__ = "objection"
    __table_args__ = (
        Index("ix_objection_application_status", "application_id", "status"),
        Index("ix_objection_filer_fingerprint_filed_at", "filer_fingerprint", "filed_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    notice_id: Mapped[str] = mapped_column(Text, ForeignKey("notice.id"), index=True)
    application_id: Mapped[str] = mapped_column(Text, ForeignKey("application.id"))
    objector_name: Mapped[str] = mapped_column(Text)
    contact: Mapped[str] = mapped_column(Text)
    grounds: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[str] = mapped_column(Text)
    """``public`` or the officer's subject."""
    filer_fingerprint: Mapped[str | None] = mapped_column(Text)
    """A public filer's client, keyed-hashed (HMAC-SHA256 of its address): what the daily
    allowance counts; the address itself is not kept."""
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(Text)
