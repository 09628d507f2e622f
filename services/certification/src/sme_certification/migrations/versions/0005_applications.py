"""Certification's own tables: batches, applications with their review steps and evidence
documents (audited), and the read model of registry facts (copies of registry's events, audited
where they were written, so not captured here, like the enterprise directory).

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
    "certification_batch": ("id",),
    "application": ("id",),
    "application_step": ("id",),
    "evidence_document": ("id",),
}


def _read_model() -> None:
    op.create_table(
        "registry_year_facts",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("facts", postgresql.JSONB, nullable=False),
        sa.Column("ratios", postgresql.JSONB, nullable=False),
        sa.Column("registry_version", sa.Integer, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "registry_credit_flag",
        sa.Column("flag_id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("last_change", sa.Text, nullable=False),
        sa.Column("received_at", TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_registry_credit_flag_uscc", "registry_credit_flag", ["uscc"])
    op.create_table(
        "registry_size_class",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("size_class", sa.Text),
        sa.Column("basis_year", sa.Integer),
        sa.Column("rule_version", sa.Text, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )


def _batches_and_applications() -> None:
    op.create_table(
        "certification_batch",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("opens_on", sa.Date, nullable=False),
        sa.Column("closes_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("city_caps", postgresql.JSONB, nullable=False),
        sa.Column("city_minimums", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "application",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("batch_id", sa.Text, sa.ForeignKey("certification_batch.id"), nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("declared", postgresql.JSONB, nullable=False),
        sa.Column("correction_remarks", postgresql.JSONB),
        sa.Column("assessment", postgresql.JSONB),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
        sa.Column("submitted_at", TS),
        sa.UniqueConstraint("batch_id", "uscc"),
    )
    op.create_index(
        "ix_application_batch_unit_status",
        "application",
        ["batch_id", "reporting_unit_code", "status"],
    )
    op.create_index("ix_application_region", "application", ["region_code"])
    op.create_index("ix_application_uscc", "application", ["uscc"])
    op.create_table(
        "application_step",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("application_id", sa.Text, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("stage", sa.Text),
        sa.Column("from_status", sa.Text, nullable=False),
        sa.Column("to_status", sa.Text, nullable=False),
        sa.Column("remarks", postgresql.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("acted_at", TS, nullable=False),
        sa.Column("acted_by", sa.Text, nullable=False),
    )
    op.create_index("ix_application_step_application_id", "application_step", ["application_id"])
    op.create_table(
        "evidence_document",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("application_id", sa.Text, sa.ForeignKey("application.id"), nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("storage_key", sa.Text, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
        sa.Column("uploaded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_evidence_document_application_id", "evidence_document", ["application_id"])


def upgrade() -> None:
    _read_model()
    _batches_and_applications()
    audit_tables_v1(AUDITED)


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
