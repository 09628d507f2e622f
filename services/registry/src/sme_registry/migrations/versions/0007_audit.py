"""Tamper-evident audit: the chain, the application role, and row capture on the register's tables.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from sme_common.audit.migrations import audit_tables_v1, create_audit_v1

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Table → key columns (the audited resource id). Revisions, size-class records, the outbox and the
# import error report are derived from these writes and carry no change of their own.
AUDITED = {
    "enterprise": ("uscc",),
    "enterprise_facts": ("uscc", "year"),
    "credit_flag": ("id",),
    "pool_entry": ("id",),
    "service_person": ("id",),
    "service_assignment": ("id",),
    "import_job": ("id",),
    "enterprise_activity": ("id",),
    "held_certificate": ("certificate_id",),
}


def upgrade() -> None:
    create_audit_v1()
    audit_tables_v1(AUDITED)


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
