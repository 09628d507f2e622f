"""Entitlements (免申即享, issue 9 items 1, 2, 8): the certificates funding has seen and their
triggers, each enterprise's credit flags in force, the entitlements and their status history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from sme_common.audit.migrations import audit_tables_v1

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_record",
        sa.Column("certificate_id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text),
        sa.Column("issued_on", sa.Date),
        sa.Column("expires_on", sa.Date),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("renewed_on", sa.Date),
        sa.Column("ended_on", sa.Date),
        sa.Column("reason_code", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_certificate_record_uscc", "certificate_record", ["uscc"])
    op.create_table(
        "certificate_trigger",
        sa.Column(
            "certificate_id",
            sa.Text,
            sa.ForeignKey(
                "certificate_record.certificate_id",
                name="fk_certificate_trigger_certificate_id_certificate_record",
            ),
            primary_key=True,
        ),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("occurred_on", sa.Date, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_certificate_trigger_uscc", "certificate_trigger", ["uscc"])
    op.create_table(
        "enterprise_credit",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("active_flags", ARRAY(sa.Text), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "entitlement",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("policy_code", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Text, nullable=False),
        sa.Column("trigger_key", sa.Text, nullable=False),
        sa.Column("payee_kind", sa.Text, nullable=False),
        sa.Column("payee_id", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("county_code", sa.Text, nullable=False),
        sa.Column("fund_code", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("full_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("explanation", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("blocked_reason", ARRAY(sa.Text)),
        sa.Column("certificate_id", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("trigger_key", name="uq_entitlement_trigger_key"),
    )
    op.create_index("ix_entitlement_uscc", "entitlement", ["uscc"])
    op.create_index("ix_entitlement_status", "entitlement", ["status"])
    op.create_index("ix_entitlement_certificate_id", "entitlement", ["certificate_id"])
    op.create_index("ix_entitlement_region_code", "entitlement", ["region_code"])
    op.create_table(
        "entitlement_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "entitlement_id",
            sa.Text,
            sa.ForeignKey("entitlement.id", name="fk_entitlement_step_entitlement_id_entitlement"),
            nullable=False,
        ),
        sa.Column("from_status", sa.Text),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remarks", sa.Text),
    )
    op.create_index("ix_entitlement_step_entitlement_id", "entitlement_step", ["entitlement_id"])
    audit_tables_v1(
        {
            "certificate_record": ("certificate_id",),
            "certificate_trigger": ("certificate_id", "kind", "occurred_on"),
            "enterprise_credit": ("uscc",),
            "entitlement": ("id",),
            "entitlement_step": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
