"""A snapshot's enterprise rows carry the credit flags in force on the snapshot's day (from the
directory's copy of registry's flags-changed events), beside the size class and the contact
through the commissioner, which the directory now also knows. Rows made before stay as they were
(null): a snapshot never changes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("snapshot_entry", sa.Column("credit_flags", sa.Text))


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
