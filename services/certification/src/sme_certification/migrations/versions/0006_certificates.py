"""Certificates, their number counters and the bans on reapplying (issue 8, items 6 and 7).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from sme_common.audit.migrations import audit_tables_v1

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("number", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("verification_code", sa.Text, nullable=False),
        sa.Column("classified", sa.Boolean, nullable=False),
        sa.Column("application_id", sa.Text),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("re_review_notified_on", sa.Date),
        sa.Column("re_review_filed_on", sa.Date),
        sa.Column("re_review_application_id", sa.Text),
        sa.Column("renewed_on", sa.Date),
        sa.Column("ended_on", sa.Date),
        sa.Column("revocation_reason", sa.Text),
        sa.Column("revocation_note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("number", name="uq_certificate_number"),
        sa.UniqueConstraint("verification_code", name="uq_certificate_verification_code"),
    )
    op.create_index("ix_certificate_uscc", "certificate", ["uscc"])
    op.create_index("ix_certificate_status", "certificate", ["status"])
    op.create_table(
        "certificate_number_counter",
        sa.Column("prefix", sa.Text, primary_key=True),
        sa.Column("tier_code", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "reapplication_ban",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column(
            "certificate_id",
            sa.Text,
            sa.ForeignKey("certificate.id", name="fk_reapplication_ban_certificate_id_certificate"),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("basis", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_reapplication_ban_uscc", "reapplication_ban", ["uscc"])
    audit_tables_v1(
        {
            "certificate": ("id",),
            "certificate_number_counter": ("prefix", "tier_code", "year"),
            "reapplication_ban": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
