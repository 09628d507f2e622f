from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class EnterprisePush(Base):
    """An immutable push (名单和信贷产品目录推送) to one certified enterprise for one period."""

    __tablename__ = "enterprise_push"
    __table_args__ = (
        Index("ux_enterprise_push_period", "uscc", "period", unique=True),
        Index("ix_enterprise_push_region_code", "region_code"),
        Index("ix_enterprise_push_reporting_unit_code", "reporting_unit_code"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    """The order pushes were made in (pages newest first)."""
    uscc: Mapped[str] = mapped_column(Text)
    period: Mapped[str] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tier: Mapped[str] = mapped_column(Text)
    region_code: Mapped[str] = mapped_column(Text)
    """Where the enterprise was registered when pushed: the officers' scope of the push."""
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    institution_count: Mapped[int] = mapped_column(Integer)
    product_count: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB)
    content_sha256: Mapped[str] = mapped_column(Text)
    """SHA-256 (hex) of the content's canonical JSON (``domain.canonical``)."""


class EnterprisePushAck(Base):
    """The enterprise's read receipt of a push (recorded once; the push itself never changes)."""

    __tablename__ = "enterprise_push_ack"

    push_id: Mapped[str] = mapped_column(Text, ForeignKey("enterprise_push.id"), primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str] = mapped_column(Text)


class EnterprisePushReadLog(Base):
    """Every read of its pushes by an enterprise: ``listed`` (in a page), ``read`` (the push)."""

    __tablename__ = "enterprise_push_read"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    push_id: Mapped[str] = mapped_column(Text, index=True)
    uscc: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
