"""The review after the provincial one: the expert pool and assignments, public notices with their
objections, and the application's classified mark, expert score and decision (issue 8, item 3).

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


def _application_columns() -> None:
    op.add_column(
        "application",
        sa.Column("classified", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.alter_column("application", "classified", server_default=None)
    op.add_column("application", sa.Column("expert_score", sa.Numeric(6, 2)))
    op.add_column("application", sa.Column("decision_reasons", postgresql.JSONB))
    op.add_column("application", sa.Column("certificate_id", sa.Text))


def _experts() -> None:
    op.create_table(
        "expert",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("home_region_code", sa.Text, nullable=False),
        sa.Column("specialities", postgresql.JSONB, nullable=False),
        sa.Column("conflicts", postgresql.JSONB, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.UniqueConstraint("subject"),
    )
    op.create_index("ix_expert_province", "expert", ["province_code"])
    op.create_table(
        "expert_assignment",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("application_id", sa.Text, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("expert_id", sa.Text, sa.ForeignKey("expert.id"), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("assigned_by", sa.Text, nullable=False),
        sa.Column("score", sa.Numeric(6, 2)),
        sa.Column("criteria_scores", postgresql.JSONB),
        sa.Column("remarks", sa.Text),
        sa.Column("scored_at", TS),
    )
    op.create_index("ix_expert_assignment_application_id", "expert_assignment", ["application_id"])
    op.create_index("ix_expert_assignment_expert", "expert_assignment", ["expert_id"])


def _notices() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("length", sa.Integer, nullable=False),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_index("ix_notice_province_dates", "notice", ["province_code", "starts_on", "ends_on"])
    op.create_table(
        "notice_entry",
        sa.Column("notice_id", sa.Text, sa.ForeignKey("notice.id"), primary_key=True),
        sa.Column("application_id", sa.Text, sa.ForeignKey("application.id"), primary_key=True),
        sa.UniqueConstraint("application_id"),
    )
    op.create_table(
        "objection",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("notice_id", sa.Text, sa.ForeignKey("notice.id"), nullable=False),
        sa.Column("application_id", sa.Text, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("objector_name", sa.Text, nullable=False),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("filed_by", sa.Text, nullable=False),
        sa.Column("resolution", sa.Text),
        sa.Column("resolved_at", TS),
        sa.Column("resolved_by", sa.Text),
    )
    op.create_index("ix_objection_notice_id", "objection", ["notice_id"])
    op.create_index("ix_objection_application_status", "objection", ["application_id", "status"])


def upgrade() -> None:
    _application_columns()
    _experts()
    _notices()
    audit_tables_v1(
        {
            "expert": ("id",),
            "expert_assignment": ("id",),
            "notice": ("id",),
            "notice_entry": ("notice_id", "application_id"),
            "objection": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
