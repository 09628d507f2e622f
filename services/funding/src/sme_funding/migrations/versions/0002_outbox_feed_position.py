"""Feed positions on the outbox (a change feed in commit order).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from sme_common.db.migrations import add_outbox_feed_position_v2

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_outbox_feed_position_v2()


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
