"""Rule-document versions, evaluation runs and their results (issue 8: rule sets in the database,
re-evaluation of title holders).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from sme_common.audit.migrations import audit_tables_v1

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_document_version",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("document_id", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("document", JSONB, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("source_citation", sa.Text, nullable=False),
        sa.Column("unverified_count", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.UniqueConstraint("document_id", "version", name="uq_rule_document_version_document_id"),
    )
    op.create_index(
        "ix_rule_document_version_document_id", "rule_document_version", ["document_id"]
    )
    op.create_table(
        "evaluation_run",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("rule_set_id", sa.Text, nullable=False),
        sa.Column("rule_set_version", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("enterprises", sa.Integer, nullable=False),
        sa.Column("outcomes", JSONB, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("requested_by", sa.Text, nullable=False),
        # A second run of the same rule-set version on the same day is refused unless asked for
        # (``--again``): it then gets the next attempt number, never a silent duplicate.
        sa.UniqueConstraint(
            "rule_set_id",
            "fingerprint",
            "tier",
            "kind",
            "as_of",
            "attempt",
            name="uq_evaluation_run_rule_set_id",
        ),
    )
    op.create_table(
        "evaluation_result",
        sa.Column(
            "run_id",
            sa.Text,
            sa.ForeignKey("evaluation_run.id", name="fk_evaluation_result_run_id_evaluation_run"),
            primary_key=True,
        ),
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("rule_set_id", sa.Text, nullable=False),
        sa.Column("rule_set_version", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("score_points", sa.Integer),
        sa.Column("explanation", JSONB, nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_evaluation_result_uscc", "evaluation_result", ["uscc", "evaluated_at"])
    # The officer-edited documents and the runs are audited; the results are derived from an
    # audited run, its audited rule version and the facts read model (docs/certification.md).
    audit_tables_v1({"rule_document_version": ("id",), "evaluation_run": ("id",)})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
