"""Institutions with their OAuth2 clients, and their credit products (all audited).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.audit.migrations import audit_tables_v1

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
TEXTS = postgresql.ARRAY(sa.Text)
RATIO = sa.Numeric(9, 6)


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "institution",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False, unique=True),
        sa.Column("province_code", sa.Text, nullable=False),
        sa.Column("region_codes", TEXTS, nullable=False),
        sa.Column("tiers", TEXTS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        *_stamps(),
    )
    op.create_table(
        "institution_client",
        sa.Column("client_id", sa.Text, primary_key=True),
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("linked_by", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_institution_client_institution_id", "institution_client", ["institution_id"]
    )
    op.create_table(
        "credit_product",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("product_type", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("min_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("max_amount_fen", sa.BigInteger, nullable=False),
        sa.Column("min_rate_ratio", RATIO, nullable=False),
        sa.Column("max_rate_ratio", RATIO, nullable=False),
        sa.Column("min_term_months", sa.Integer, nullable=False),
        sa.Column("max_term_months", sa.Integer, nullable=False),
        sa.Column("guarantee_fee_ratio", RATIO),
        sa.Column("eligible_tiers", TEXTS, nullable=False),
        sa.Column("eligible_industry_sections", TEXTS, nullable=False),
        sa.Column("eligible_region_codes", TEXTS, nullable=False),
        sa.Column("eligible_size_classes", TEXTS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        *_stamps(),
    )
    op.create_index("ix_credit_product_institution_id", "credit_product", ["institution_id"])
    op.create_index("ix_credit_product_status", "credit_product", ["status"])
    audit_tables_v1(
        {
            "institution": ("id",),
            "institution_client": ("client_id",),
            "credit_product": ("id",),
        }
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
