"""Callbacks to the channels: channels, their secrets, deliveries and attempts (issue 11, item 5).

Revision ID: 0006
Revises: 0004 (rechained after 0005 by the integrator)
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("callback_url", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "channel_secret",
        sa.Column("channel_id", sa.Text, sa.ForeignKey("channel.id"), primary_key=True),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("set_at", TS, nullable=False),
    )
    op.create_table(
        "callback_delivery",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("position", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("channel_id", sa.Text, sa.ForeignKey("channel.id"), nullable=False),
        sa.Column("case_id", sa.Text, nullable=False),
        sa.Column("work_order_no", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("payload", postgresql.JSONB, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS),
        sa.UniqueConstraint("position"),
    )
    op.create_index(
        "ix_callback_delivery_channel_position", "callback_delivery", ["channel_id", "position"]
    )
    op.create_index(
        "ix_callback_delivery_case", "callback_delivery", ["channel_id", "case_id", "position"]
    )
    op.create_index("ix_callback_delivery_due", "callback_delivery", ["state", "next_attempt_at"])
    op.create_table(
        "callback_attempt",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("delivery_id", sa.Text, sa.ForeignKey("callback_delivery.id"), nullable=False),
        sa.Column("attempted_at", TS, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )
    op.create_index("ix_callback_attempt_delivery_id", "callback_attempt", ["delivery_id"])
    # The secret's table is left out of the row capture on purpose (the secret would be copied
    # into the chain); the service audits its changes as ``channel.secret_set`` items.
    audit_tables_v1(
        {
            "channel": ["id"],
            "callback_delivery": ["id"],
            "callback_attempt": ["id"],
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
