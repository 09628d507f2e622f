"""The certified population (认定企业) from certification's events, and its change log in commit
order (the list deltas' source). The enterprise's state is audited; the change log is itself an
append-only record.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from sme_common.audit.migrations import audit_tables_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.execute("CREATE SEQUENCE certified_change_seq")
    op.create_table(
        "certified_enterprise",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("certificate_id", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("change_seq", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_certified_enterprise_status", "certified_enterprise", ["status", "tier"])
    op.create_table(
        "certified_change",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("certificate_id", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("previous_tier", sa.Text),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text),
        sa.Column("changed_at", TS, nullable=False),
    )
    op.create_index("ix_certified_change_uscc", "certified_change", ["uscc"])
    audit_tables_v1({"certified_enterprise": ("uscc",)})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
