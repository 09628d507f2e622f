"""Tamper-evident audit: the chain and the application role. The service's own tables join the
capture (``audit_tables_v1``) in the migration that creates them; the enterprise directory is a
copy of the registry's events (audited where they were written) and is not captured here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from sme_common.audit.migrations import create_audit_v1

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_v1()


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
