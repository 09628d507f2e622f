"""Messaging tables, enterprises and reference data.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from sme_common.db.migrations import create_platform_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables_v1()
    op.create_table(
        "enterprise",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("legal_representative", sa.Text),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text),
        sa.Column("founded_on", sa.Date),
        sa.Column("operating_status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_index("ix_enterprise_region_code", "enterprise", ["region_code"])
    op.create_index("ix_enterprise_reporting_unit_code", "enterprise", ["reporting_unit_code"])
    op.create_table(
        "reference_region",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("reporting_unit_code", sa.Text),
        sa.Column("valid_from_year", sa.Integer),
        sa.Column("valid_to_year", sa.Integer),
        sa.Column("data_version", sa.Text, nullable=False),
    )
    op.create_table(
        "reference_industry_section",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name_zh", sa.Text, nullable=False),
        sa.Column("name_en", sa.Text, nullable=False),
        sa.Column("first_division", sa.Integer, nullable=False),
        sa.Column("last_division", sa.Integer, nullable=False),
        sa.Column("data_version", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the first migration is not reversible; drop the database instead")
