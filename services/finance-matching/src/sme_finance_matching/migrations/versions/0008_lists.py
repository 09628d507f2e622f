"""List push (名单推送): immutable snapshots per institution with their entries, acknowledgements,
recipients, delta cursors, the read log and the manifest signing keys.

Snapshots and their entries refuse UPDATE and DELETE (a trigger): they are immutable. The audit
covers the snapshot, acknowledgement, cursor and key tables; the entries are covered by their
snapshot's signed checksum, and the read log and the recipients are append-only records themselves.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "list_snapshot",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("period", sa.Text),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.Column("cursor_position", sa.BigInteger, nullable=False),
        sa.Column("entry_count", sa.Integer, nullable=False),
        sa.Column("product_count", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.Text, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("products", postgresql.JSONB, nullable=False),
    )
    op.create_index(
        "ix_list_snapshot_institution", "list_snapshot", ["institution_id", "generated_at"]
    )
    op.create_index(
        "ux_list_snapshot_period",
        "list_snapshot",
        ["institution_id", "period"],
        unique=True,
        postgresql_where=sa.text("period IS NOT NULL"),
    )
    op.create_table(
        "snapshot_entry",
        sa.Column("snapshot_id", sa.Text, primary_key=True),
        sa.Column("ordinal", sa.Integer, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("certificate_id", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text),
        sa.Column("size_class", sa.Text),
        sa.Column("contact", sa.Text),
    )
    op.create_table(
        "list_snapshot_ack",
        sa.Column("snapshot_id", sa.Text, sa.ForeignKey("list_snapshot.id"), primary_key=True),
        sa.Column("institution_id", sa.Text, nullable=False),
        sa.Column("acknowledged_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.Text, nullable=False),
    )
    op.create_table(
        "list_recipient",
        sa.Column("institution_id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("first_received_at", TS, nullable=False),
    )
    op.create_index("ix_list_recipient_uscc", "list_recipient", ["uscc"])
    op.create_table(
        "list_cursor",
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("acknowledged_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.Text, nullable=False),
    )
    op.create_table(
        "list_read",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("institution_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("snapshot_id", sa.Text),
        sa.Column("format", sa.Text, nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("cursor_from", sa.BigInteger),
        sa.Column("cursor_to", sa.BigInteger),
        sa.Column("client_id", sa.Text),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("read_at", TS, nullable=False),
    )
    op.create_index("ix_list_read_institution_id", "list_read", ["institution_id"])
    op.create_table(
        "list_signing_key",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("algorithm", sa.Text, nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("first_used_at", TS, nullable=False),
    )
    op.execute(
        """
        CREATE FUNCTION list_snapshot_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'list snapshots are immutable (% on %)', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    for table in ("list_snapshot", "snapshot_entry"):
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION list_snapshot_immutable()"
        )
    audit_tables_v1(
        {
            "list_snapshot": ("id",),
            "list_snapshot_ack": ("snapshot_id",),
            "list_cursor": ("institution_id",),
            "list_signing_key": ("key_id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
