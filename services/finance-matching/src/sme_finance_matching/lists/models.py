from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class ListSnapshot(Base):
    """An immutable list snapshot (名单快照) of one institution; its manifest is signed."""

    __tablename__ = "list_snapshot"
    __table_args__ = (
        Index("ix_list_snapshot_institution", "institution_id", "generated_at"),
        Index(
            "ux_list_snapshot_period",
            "institution_id",
            "period",
            unique=True,
            postgresql_where=text("period IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, ForeignKey("institution.id"))
    trigger: Mapped[str] = mapped_column(Text)
    period: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    generated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cursor_position: Mapped[int] = mapped_column(BigInteger)
    entry_count: Mapped[int] = mapped_column(Integer)
    product_count: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(Text)
    manifest: Mapped[str] = mapped_column(Text)
    """The canonical manifest JSON the signature covers, byte for byte."""
    signature: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(Text)
    products: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)


class SnapshotEntry(Base):
    """One certified enterprise of a snapshot, as it was when the snapshot was made."""

    __tablename__ = "snapshot_entry"

    snapshot_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    certificate_id: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    region_code: Mapped[str] = mapped_column(Text)
    reporting_unit_code: Mapped[str] = mapped_column(Text)
    industry_code: Mapped[str | None] = mapped_column(Text)
    size_class: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    credit_flags: Mapped[str | None] = mapped_column(Text)


class SnapshotAck(Base):
    """An institution's acknowledgement of a snapshot (the snapshot itself never changes)."""

    __tablename__ = "list_snapshot_ack"

    snapshot_id: Mapped[str] = mapped_column(Text, ForeignKey("list_snapshot.id"), primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str] = mapped_column(Text)


class ListRecipient(Base):
    """An enterprise an institution has been given (in a snapshot, or queued in its deltas while
    in its scope): its revocation and expiry reach that institution even once out of its scope."""

    __tablename__ = "list_recipient"
    __table_args__ = (Index("ix_list_recipient_uscc", "uscc"),)

    institution_id: Mapped[str] = mapped_column(Text, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text, primary_key=True)
    first_received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListChange(Base):
    """A change of the certified population as the deltas send it: its JSON (the shape of
    ``schemas.DeltaChange``) up to ``"in_scope":``, rendered when the change is recorded and again
    when the directory's facts about the enterprise change (triggers, migration 0013)."""

    __tablename__ = "list_change"
    __table_args__ = (Index("ix_list_change_uscc", "uscc"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    uscc: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class ListDelivery(Base):
    """A change queued for an institution: its deltas are its deliveries after its cursor.
    ``in_scope`` is decided when the change is queued, and again for the changes after its
    cursor when its scope or the enterprise's 市州 changes. Kept by triggers (migration 0013).

    No foreign key to ``institution``: queueing a change would take a share lock on the
    institution's row while holding the change log's lock, and an officer's update holds that row
    and then asks for the change log's lock (its trigger): a deadlock. Institutions are never
    deleted; the triggers only queue for institutions that exist."""

    __tablename__ = "list_delivery"

    institution_id: Mapped[str] = mapped_column(Text, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    in_scope: Mapped[bool] = mapped_column(Boolean)


class ListCursor(Base):
    """The change-log position an institution has acknowledged: its deltas start after it."""

    __tablename__ = "list_cursor"

    institution_id: Mapped[str] = mapped_column(
        Text, ForeignKey("institution.id"), primary_key=True
    )
    position: Mapped[int] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_by: Mapped[str] = mapped_column(Text)


class ListRead(Base):
    """Every read of a snapshot or a delta (who, what, which format, how many rows)."""

    __tablename__ = "list_read"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, index=True)
    kind: Mapped[str] = mapped_column(Text)
    snapshot_id: Mapped[str | None] = mapped_column(Text)
    format: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    cursor_from: Mapped[int | None] = mapped_column(BigInteger)
    cursor_to: Mapped[int | None] = mapped_column(BigInteger)
    client_id: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ListSigningKey(Base):
    """A public key that signed list manifests (kept after rotation)."""

    __tablename__ = "list_signing_key"

    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    algorithm: Mapped[str] = mapped_column(Text)
    public_key: Mapped[str] = mapped_column(Text)
    first_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
