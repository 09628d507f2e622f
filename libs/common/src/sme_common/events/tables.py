"""The messaging tables every service database has: outbox, inbox and idempotency records.

They are created by each service's first migration through ``sme_common.db.migrations``; the
definitions here are what the code reads and writes.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from sme_common.db.base import make_metadata

platform_metadata = make_metadata()

outbox_message = Table(
    "outbox_message",
    platform_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("topic", Text, nullable=False),
    Column("key", Text),
    Column("event_type", Text, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("feed_position", BigInteger),
    # Set when the broker refused the row for a reason a retry cannot cure (e.g. too large); the
    # row and the later rows of its key wait until ``outbox resend`` (see ``add_outbox_parking_v3``).
    Column("parked_at", DateTime(timezone=True)),
    Column("park_reason", Text),
    Index("ix_outbox_message_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    Index("ix_outbox_message_feed_position", "feed_position", unique=True),
    Index(
        "ix_outbox_message_parked_key",
        "key",
        "id",
        postgresql_where=text("parked_at IS NOT NULL"),
    ),
)

inbox_message = Table(
    "inbox_message",
    platform_metadata,
    Column("consumer", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

idempotency_record = Table(
    "idempotency_record",
    platform_metadata,
    Column("principal", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("status_code", Integer),
    Column("response_body", JSONB),
    Column("response_headers", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("principal", "key"),
)

OUTBOX_CHANNEL = "sme_outbox"
