"""The enterprise directory learns what registry announces beside the entry: size-class decisions
(a history, read as of a day), credit flags and the people serving each enterprise
(``sme_common.directory.models.create_tables_v2``). Copies of registry's events, audited where
they were written, so not captured here (as the directory itself, 0004). After upgrading, run
``python -m sme_finance_matching rebuild-directory`` once: the consumer skipped these events until now.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from sme_common.directory.models import create_tables_v2 as create_enterprise_directory_v2

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_enterprise_directory_v2()


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
