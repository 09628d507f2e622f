"""Channels, the deliveries queued for them and every attempt to deliver one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_complaints.metadata import Base


class Channel(Base):
    """A system that files complaints and hears back (the hotline, an agency system). Its machine
    token's ``client_id`` claim is ``client_id``: that token reads this channel and no other."""

    __tablename__ = "channel"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(Text, unique=True)
    callback_url: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class ChannelSecret(Base):
    """The shared secret callbacks are signed with; apart from ``channel`` so that the row
    capture of the audit never copies it (its changes are audited as ``channel.secret_set``)."""

    __tablename__ = "channel_secret"

    channel_id: Mapped[str] = mapped_column(Text, ForeignKey("channel.id"), primary_key=True)
    secret: Mapped[str] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CallbackDelivery(Base):
    """One status change of one case for one channel, with the exact body that is signed and
    sent. ``position`` orders a case's changes and is the cursor of the channel's change feed."""

    __tablename__ = "callback_delivery"
    __table_args__ = (
        Index("ix_callback_delivery_channel_position", "channel_id", "position"),
        Index("ix_callback_delivery_case", "channel_id", "case_id", "position"),
        Index("ix_callback_delivery_due", "state", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    channel_id: Mapped[str] = mapped_column(Text, ForeignKey("channel.id"))
    case_id: Mapped[str] = mapped_column(Text)
    work_order_no: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    """``pending`` until a 2xx acknowledgement, then ``delivered``."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CallbackAttempt(Base):
    """One POST of a delivery: when, the status code answered (none when the call failed) and
    the error."""

    __tablename__ = "callback_attempt"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(Text, ForeignKey("callback_delivery.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
