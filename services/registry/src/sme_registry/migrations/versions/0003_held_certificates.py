"""Certificates an enterprise holds, kept from certification events (tier and pool moves).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_certificate",
        sa.Column("certificate_id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("certificate_number", sa.Text),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("end_reason", sa.Text),
    )
    op.create_index("ix_held_certificate_uscc", "held_certificate", ["uscc"])


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
