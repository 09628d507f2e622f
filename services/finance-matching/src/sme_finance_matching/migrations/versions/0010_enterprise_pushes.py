"""Enterprise push (名单和信贷产品目录推送给专精特新企业, seed 000 (十三)): immutable pushes per
enterprise and period, their read receipts, and the log of the enterprises' reads.

Pushes refuse UPDATE and DELETE (a trigger): they are immutable. The audit covers the pushes and
their acknowledgements; the read log is an append-only record itself.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "enterprise_push",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, sa.Identity(), nullable=False, unique=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("generated_at", TS, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("institution_count", sa.Integer, nullable=False),
        sa.Column("product_count", sa.Integer, nullable=False),
        sa.Column("content", postgresql.JSONB, nullable=False),
        sa.Column("content_sha256", sa.Text, nullable=False),
    )
    op.create_index("ux_enterprise_push_period", "enterprise_push", ["uscc", "period"], unique=True)
    op.create_index("ix_enterprise_push_region_code", "enterprise_push", ["region_code"])
    op.create_index(
        "ix_enterprise_push_reporting_unit_code", "enterprise_push", ["reporting_unit_code"]
    )
    op.create_table(
        "enterprise_push_ack",
        sa.Column("push_id", sa.Text, sa.ForeignKey("enterprise_push.id"), primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("acknowledged_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.Text, nullable=False),
    )
    op.create_table(
        "enterprise_push_read",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("push_id", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("read_at", TS, nullable=False),
    )
    op.create_index("ix_enterprise_push_read_push_id", "enterprise_push_read", ["push_id"])
    op.execute(
        """
        CREATE FUNCTION enterprise_push_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'enterprise pushes are immutable (% on %)', TG_OP, TG_TABLE_NAME;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER enterprise_push_immutable BEFORE UPDATE OR DELETE ON enterprise_push "
        "FOR EACH ROW EXECUTE FUNCTION enterprise_push_immutable()"
    )
    audit_tables_v1({"enterprise_push": ("id",), "enterprise_push_ack": ("push_id",)})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
