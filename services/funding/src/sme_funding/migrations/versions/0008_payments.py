"""Payment batches (支付批次) and their lines (issue 9, point 5). Self-contained: it creates only its
own tables, so that placing it after another revision changes nothing but ``down_revision``.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from sme_common.audit.migrations import audit_tables_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_batch",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("fund_code", sa.Text, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("payee_kind", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("control_count", sa.Integer, nullable=False),
        sa.Column("control_sum_fen", sa.BigInteger, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("sealed_at", TS),
        sa.Column("sealed_by", sa.Text),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.CheckConstraint(
            "control_count > 0 AND control_sum_fen > 0", name="ck_payment_batch_control_positive"
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'sealed', 'results_posted', 'reconciled', 'withdrawn')",
            name="ck_payment_batch_status",
        ),
    )
    op.create_index("ix_payment_batch_region_code", "payment_batch", ["region_code"])
    op.create_index("ix_payment_batch_status", "payment_batch", ["status"])
    op.create_table(
        "payment_line",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("batch_id", sa.Text, sa.ForeignKey("payment_batch.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("entitlement_id", sa.Text, sa.ForeignKey("entitlement.id"), nullable=False),
        sa.Column("policy_code", sa.Text, nullable=False),
        sa.Column("payee_kind", sa.Text, nullable=False),
        sa.Column("payee_id", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text),
        sa.Column("payee_account_ref", sa.Text),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("result_on", sa.Date),
        sa.Column("bank_reference", sa.Text),
        sa.Column("failure_reason", sa.Text),
        sa.Column("result_at", TS),
        sa.Column("result_by", sa.Text),
        sa.UniqueConstraint("batch_id", "position", name="uq_payment_line_position"),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'failed', 'withdrawn')", name="ck_payment_line_status"
        ),
    )
    op.create_index("ix_payment_line_batch_id", "payment_line", ["batch_id"])
    op.create_index("ix_payment_line_entitlement_id", "payment_line", ["entitlement_id"])
    # An entitlement is in at most one open batch and paid at most once, whatever the code does.
    op.create_index(
        "uq_payment_line_entitlement_live",
        "payment_line",
        ["entitlement_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('pending', 'paid')"),
    )
    audit_tables_v1({"payment_batch": ("id",), "payment_line": ("id",)})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
