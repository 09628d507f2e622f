"""A public objection keeps a keyed fingerprint of the client that filed it (never the address
itself), so the public endpoint can limit how many one client files a day.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("objection", sa.Column("filer_fingerprint", sa.Text))
    op.create_index(
        "ix_objection_filer_fingerprint_filed_at", "objection", ["filer_fingerprint", "filed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_objection_filer_fingerprint_filed_at", table_name="objection")
    op.drop_column("objection", "filer_fingerprint")
