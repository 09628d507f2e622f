"""Subsidy projects (issue 9, point 2: 技改, R&D platforms, industrial-internet nodes): projects,
their evidence documents and their steps. Self-contained: only its own tables, so placing it
after another revision changes nothing but ``down_revision``.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-26
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
FEN = sa.BigInteger
JSONB = postgresql.JSONB


def upgrade() -> None:
    op.create_table(
        "subsidy_project",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("policy_code", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("period_from_on", sa.Date, nullable=False),
        sa.Column("period_to_on", sa.Date, nullable=False),
        sa.Column("declared_eligible_spend_fen", FEN, nullable=False),
        sa.Column("declared_total_investment_fen", FEN),
        sa.Column("accepted_eligible_spend_fen", FEN),
        sa.Column("accepted_total_investment_fen", FEN),
        sa.Column("accepted_rate_ratio", sa.Numeric(6, 4)),
        sa.Column("accepted_amount_fen", FEN),
        sa.Column("amount_fen", FEN),
        sa.Column("explanation", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("remarks", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("filed_on", sa.Date, nullable=False),
        sa.Column("declared_on", sa.Date),
        sa.Column("filed_by", sa.Text, nullable=False),
        sa.Column("attested_by", sa.Text),
        sa.Column("checked_by", sa.Text),
        sa.Column("accepted_by", sa.Text),
        sa.Column("entitled_by", sa.Text),
        sa.Column("entitlement_id", sa.Text, sa.ForeignKey("entitlement.id")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'declared', 'attested', 'compliance_checked', 'spend_accepted',"
            " 'entitled', 'returned', 'rejected')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "declared_eligible_spend_fen >= 0 AND coalesce(declared_total_investment_fen, 0) >= 0"
            " AND coalesce(accepted_eligible_spend_fen, 0) >= 0"
            " AND coalesce(accepted_total_investment_fen, 0) >= 0"
            " AND coalesce(accepted_amount_fen, 0) >= 0 AND coalesce(amount_fen, 0) >= 0",
            name="amounts_nonnegative",
        ),
        sa.CheckConstraint("period_from_on <= period_to_on", name="period_ordered"),
        sa.CheckConstraint(
            "(status = 'entitled') = (entitlement_id IS NOT NULL)", name="entitled_has_entitlement"
        ),
    )
    for column in ("uscc", "status", "region_code", "reporting_unit_code"):
        op.create_index(f"ix_subsidy_project_{column}", "subsidy_project", [column])
    op.create_index(
        "uq_subsidy_project_entitlement_id",
        "subsidy_project",
        ["entitlement_id"],
        unique=True,
        postgresql_where=sa.text("entitlement_id IS NOT NULL"),
    )
    op.create_table(
        "project_evidence",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("project_id", sa.Text, sa.ForeignKey("subsidy_project.id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False, unique=True),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_project_evidence_project_id", "project_evidence", ["project_id"])
    op.create_table(
        "project_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("project_id", sa.Text, sa.ForeignKey("subsidy_project.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("actor_role", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("remarks", sa.Text),
        sa.Column("field_remarks", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_project_step_project_id", "project_step", ["project_id"])
    audit_tables_v1(
        {
            "subsidy_project": ("id",),
            "project_evidence": ("id",),
            "project_step": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
