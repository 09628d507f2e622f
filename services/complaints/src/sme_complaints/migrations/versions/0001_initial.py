"""Messaging tables and the enterprise directory.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from sme_common.db.migrations import create_platform_tables_v1
from sme_common.directory.models import create_table_v1 as create_enterprise_directory_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables_v1()
    create_enterprise_directory_v1()


def downgrade() -> None:
    raise NotImplementedError("the first migration is not reversible; drop the database instead")
