"""The audit tables every service database has (created by ``sme_common.audit.migrations``).

``audit_record`` is the chain: append-only, one row per audited write or read, in commit order.
``audit_change`` is a per-transaction buffer the row triggers fill and the seal empties before the
transaction commits; it never holds a committed row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB

from sme_common.events.tables import platform_metadata

audit_record = Table(
    "audit_record",
    platform_metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor_subject", Text, nullable=False),
    Column("actor_roles", JSONB, nullable=False),
    Column("actor_client", Text),
    Column("request_id", Text),
    Column("action", Text, nullable=False),
    Column("resource_type", Text, nullable=False),
    Column("resource_id", Text),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("detail", JSONB),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    Index("ix_audit_record_resource", "resource_type", "resource_id", "position"),
    Index("ix_audit_record_actor", "actor_subject", "position"),
    Index("ix_audit_record_recorded_at", "recorded_at"),
)

audit_change = Table(
    "audit_change",
    platform_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("txid", BigInteger, nullable=False, server_default=text("txid_current()")),
    Column("changes", JSONB, nullable=False),
    Index("ix_audit_change_txid", "txid"),
)
