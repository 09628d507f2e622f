"""Financing needs (融资需求库) and their eligible products (both audited).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "financing_need",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text),
        sa.Column("tier", sa.Text),
        sa.Column("size_class", sa.Text),
        sa.Column("amount_fen", sa.BigInteger, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("term_months", sa.Integer, nullable=False),
        sa.Column("collateral", sa.Text, nullable=False),
        sa.Column("urgency", sa.Text, nullable=False),
        sa.Column("addressed_institution_ids", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_index("ix_financing_need_uscc", "financing_need", ["uscc"])
    op.create_index(
        "ix_financing_need_reporting_unit_code", "financing_need", ["reporting_unit_code"]
    )
    op.create_index("ix_financing_need_status", "financing_need", ["status"])
    op.create_table(
        "need_match",
        sa.Column("need_id", sa.Text, sa.ForeignKey("financing_need.id"), primary_key=True),
        sa.Column("product_id", sa.Text, sa.ForeignKey("credit_product.id"), primary_key=True),
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("weights_version", sa.Text, nullable=False),
        sa.Column("matched_at", TS, nullable=False),
    )
    op.create_index("ix_need_match_institution_id", "need_match", ["institution_id"])
    audit_tables_v1({"financing_need": ("id",), "need_match": ("need_id", "product_id")})


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
