"""Parking of outbox rows the broker refuses for good (issue 6, defect 3).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from sme_common.db.migrations import add_outbox_parking_v3

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_parking_v3()


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
