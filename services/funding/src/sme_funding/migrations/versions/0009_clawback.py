"""Clawback (追回, issue 9 item 6): each revoked certificate's decision, recovery orders and the
receipts of money received back. Self-contained: placing it after another revision changes
nothing but ``down_revision``.

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


def upgrade() -> None:
    op.create_table(
        "clawback_case",
        sa.Column("certificate_id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("reason_code", sa.Text),
        sa.Column("clawback", sa.Boolean, nullable=False),
        sa.Column("revoked_on", sa.Date, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_table(
        "recovery_order",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "entitlement_id",
            sa.Text,
            sa.ForeignKey("entitlement.id", name="fk_recovery_order_entitlement_id_entitlement"),
            nullable=False,
        ),
        sa.Column("certificate_id", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("county_code", sa.Text, nullable=False),
        sa.Column("policy_code", sa.Text, nullable=False),
        sa.Column("fund_code", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("recovered_fen", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("raised_on", sa.Date),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("entitlement_id", name="uq_recovery_order_entitlement_id"),
    )
    op.create_index("ix_recovery_order_certificate_id", "recovery_order", ["certificate_id"])
    op.create_index("ix_recovery_order_uscc", "recovery_order", ["uscc"])
    op.create_table(
        "recovery_receipt",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "recovery_order_id",
            sa.Text,
            sa.ForeignKey(
                "recovery_order.id", name="fk_recovery_receipt_recovery_order_id_recovery_order"
            ),
            nullable=False,
        ),
        sa.Column("receipt_ref", sa.Text, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("receipt_ref", name="uq_recovery_receipt_receipt_ref"),
    )
    op.create_index(
        "ix_recovery_receipt_recovery_order_id", "recovery_receipt", ["recovery_order_id"]
    )
    audit_tables_v1(
        {
            "clawback_case": ("certificate_id",),
            "recovery_order": ("id",),
            "recovery_receipt": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
