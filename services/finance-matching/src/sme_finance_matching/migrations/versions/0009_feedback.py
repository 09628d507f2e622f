"""Institutions' feedback on enterprises and needs (audited).

Revision ID: 0009
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from sme_common.audit.migrations import audit_tables_v1

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
RATIO = sa.Numeric(9, 6)


def upgrade() -> None:
    op.create_table(
        "loan_feedback",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("institution_kind", sa.Text, nullable=False),
        sa.Column("external_id", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("need_id", sa.Text, sa.ForeignKey("financing_need.id")),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("outcome_on", sa.Date, nullable=False),
        sa.Column("amount_fen", sa.BigInteger),
        sa.Column("annual_rate_ratio", RATIO),
        sa.Column("term_months", sa.Integer),
        sa.Column("guarantee_fee_ratio", RATIO),
        sa.Column("product_id", sa.Text, sa.ForeignKey("credit_product.id")),
        sa.Column("first_time_borrower", sa.Boolean),
        sa.Column("refusal_reason_code", sa.Text),
        sa.Column("refusal_reason", sa.Text),
        sa.Column("need_status", sa.Text),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("reported_by", sa.Text, nullable=False),
        sa.UniqueConstraint("institution_id", "external_id"),
    )
    op.create_index("ix_loan_feedback_institution_id", "loan_feedback", ["institution_id"])
    op.create_index("ix_loan_feedback_uscc", "loan_feedback", ["uscc"])
    op.create_index("ix_loan_feedback_need_id", "loan_feedback", ["need_id"])
    op.create_index("ix_loan_feedback_outcome_on", "loan_feedback", ["outcome_on"])
    audit_tables_v1({"loan_feedback": ("id",)})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
