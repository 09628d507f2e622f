"""Enterprise demands ledger (诉求工作台账, issue 11 item 9): demands and their steps (audited).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
AUDITED = {
    "enterprise_demand": ("id",),
    "enterprise_demand_step": ("id",),
}


def upgrade() -> None:
    op.create_table(
        "enterprise_demand",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("work_order_no", sa.Text),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("enterprise_name", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("topic_code", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("department_id", sa.Text),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("assigned_on", sa.Date),
        sa.Column("answered_on", sa.Date),
        sa.Column("closed_on", sa.Date),
        sa.Column("reopen_count", sa.Integer, nullable=False),
        sa.Column("clock", sa.Text),
        sa.Column("clock_started_on", sa.Date),
        sa.Column("due_on", sa.Date),
        sa.Column("deadline_unknown", sa.Text),
        sa.Column("breached_on", sa.Date),
        sa.Column("reminded_on", sa.Date),
        sa.Column("answer", postgresql.JSONB),
        sa.Column("confirmation", postgresql.JSONB),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("channel_id", "work_order_no"),
    )
    op.create_index("ix_enterprise_demand_region", "enterprise_demand", ["region_code"])
    op.create_index("ix_enterprise_demand_unit", "enterprise_demand", ["reporting_unit_code"])
    op.create_index("ix_enterprise_demand_uscc", "enterprise_demand", ["uscc"])
    op.create_index(
        "ix_enterprise_demand_department_due", "enterprise_demand", ["department_id", "due_on"]
    )
    op.create_table(
        "enterprise_demand_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("demand_id", sa.Text, sa.ForeignKey("enterprise_demand.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text, nullable=False),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("department_id", sa.Text),
        sa.Column("details", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("acted_on", sa.Date, nullable=False),
        sa.Column("acted_at", TS, nullable=False),
        sa.Column("acted_by", sa.Text, nullable=False),
    )
    op.create_index("ix_enterprise_demand_step_demand", "enterprise_demand_step", ["demand_id"])
    audit_tables_v1(AUDITED)


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
