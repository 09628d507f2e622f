"""Complaint cases, their steps and pauses (audited).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
AUDITED = {
    "complaint_case": ("id",),
    "complaint_case_step": ("id",),
    "complaint_case_pause": ("id",),
}


def upgrade() -> None:
    op.create_table(
        "complaint_case",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("work_order_no", sa.Text),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("category_code", sa.Text, nullable=False),
        sa.Column("complainant_uscc", sa.Text, nullable=False),
        sa.Column("complainant_name", sa.Text, nullable=False),
        sa.Column("complainant_size_class", sa.Text, nullable=False),
        sa.Column("contact_name", sa.Text, nullable=False),
        sa.Column("contact_phone", sa.Text, nullable=False),
        sa.Column("respondent_name", sa.Text, nullable=False),
        sa.Column("respondent_uscc", sa.Text),
        sa.Column("respondent_type", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("contract", postgresql.JSONB, nullable=False),
        sa.Column("amount_owed_fen", sa.BigInteger, nullable=False),
        sa.Column("other_proceedings", postgresql.JSONB, nullable=False),
        sa.Column("evidence", postgresql.JSONB, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("registry_facts", postgresql.JSONB, nullable=False),
        sa.Column("possible_duplicate_of", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("department_id", sa.Text),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("accepted_on", sa.Date),
        sa.Column("transferred_on", sa.Date),
        sa.Column("department_received_on", sa.Date),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("clock", sa.Text),
        sa.Column("clock_started_on", sa.Date),
        sa.Column("clock_paused_workdays", sa.Integer, nullable=False),
        sa.Column("clock_paused_days", sa.Integer, nullable=False),
        sa.Column("due_on", sa.Date),
        sa.Column("deadline_unknown", sa.Text),
        sa.Column("paused_since", sa.Date),
        sa.Column("breached_on", sa.Date),
        sa.Column("reminded_on", sa.Date),
        sa.Column("outcome", postgresql.JSONB),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("channel_id", "work_order_no"),
    )
    op.create_index("ix_complaint_case_region", "complaint_case", ["region_code"])
    op.create_index("ix_complaint_case_unit", "complaint_case", ["reporting_unit_code"])
    op.create_index("ix_complaint_case_complainant", "complaint_case", ["complainant_uscc"])
    op.create_index(
        "ix_complaint_case_department_due", "complaint_case", ["department_id", "due_on"]
    )
    op.create_table(
        "complaint_case_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Text, sa.ForeignKey("complaint_case.id"), nullable=False),
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
    op.create_index("ix_complaint_case_step_case", "complaint_case_step", ["case_id"])
    op.create_table(
        "complaint_case_pause",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("case_id", sa.Text, sa.ForeignKey("complaint_case.id"), nullable=False),
        sa.Column("clock", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("paused_workdays", sa.Integer),
        sa.Column("paused_days", sa.Integer),
    )
    op.create_index("ix_complaint_case_pause_case", "complaint_case_pause", ["case_id"])
    audit_tables_v1(AUDITED)


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
