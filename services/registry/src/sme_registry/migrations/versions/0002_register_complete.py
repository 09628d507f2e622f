"""The complete register: history, yearly facts, size class, pools, commissioners, credit flags,
activity from other services, import jobs; trigram name search; outbox feed positions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from sme_common.db.migrations import add_outbox_feed_position_v2

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    add_outbox_feed_position_v2()
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")

    op.add_column(
        "enterprise",
        sa.Column("former_names", postgresql.JSONB, nullable=False, server_default="[]"),
    )
    op.add_column("enterprise", sa.Column("tier", sa.Text))
    op.add_column("enterprise", sa.Column("size_class", sa.Text))
    op.add_column("enterprise", sa.Column("size_class_year", sa.Integer))
    op.add_column("enterprise", sa.Column("updated_by", sa.Text))
    # Bigrams for two-character name searches (trigrams need three characters to use an index).
    op.execute(
        """
        CREATE FUNCTION sme_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
            FROM generate_series(1, char_length(t) - 1) AS i
        $$
        """
    )
    op.execute(
        "CREATE INDEX ix_enterprise_name_bigrams ON enterprise USING gin (sme_bigrams(name))"
    )
    op.create_index(
        "ix_enterprise_name_trgm",
        "enterprise",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )
    op.create_index("ix_enterprise_industry_code", "enterprise", ["industry_code"])
    op.create_index("ix_enterprise_updated_at", "enterprise", ["updated_at", "uscc"])

    op.create_table(
        "enterprise_revision",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("change_type", sa.Text, nullable=False),
        sa.Column("snapshot", postgresql.JSONB, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_enterprise_revision_recorded_at", "enterprise_revision", ["uscc", "recorded_at"]
    )

    op.create_table(
        "enterprise_facts",
        sa.Column("uscc", sa.Text, sa.ForeignKey("enterprise.uscc"), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("employees", sa.Integer),
        sa.Column("operating_revenue_fen", sa.BigInteger),
        sa.Column("main_business_revenue_fen", sa.BigInteger),
        sa.Column("rd_expense_fen", sa.BigInteger),
        sa.Column("rd_staff", sa.Integer),
        sa.Column("total_assets_fen", sa.BigInteger),
        sa.Column("total_liabilities_fen", sa.BigInteger),
        sa.Column("net_profit_fen", sa.BigInteger),
        sa.Column("ip_class1_high_value", sa.Integer),
        sa.Column("ip_class1_self_developed", sa.Integer),
        sa.Column("ip_class1", sa.Integer),
        sa.Column("ip_class2", sa.Integer),
        sa.Column("qualified_equity_raised_fen", sa.BigInteger),
        sa.Column("niche_market_years", sa.Integer),
        sa.Column("digital_level", sa.Integer),
        sa.Column("quality_certifications", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("leading_product", sa.Text),
        sa.Column("leading_product_field", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("filed_at", TS, nullable=False),
        sa.Column("filed_by", sa.Text, nullable=False),
    )
    op.create_table(
        "enterprise_facts_revision",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("snapshot", postgresql.JSONB, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_table(
        "size_class_record",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("size_class", sa.Text),
        sa.Column("basis_year", sa.Integer),
        sa.Column("rule_version", sa.Text, nullable=False),
        sa.Column("explanation", postgresql.JSONB, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_index("ix_size_class_record_uscc", "size_class_record", ["uscc", "decided_at"])

    op.create_table(
        "credit_flag",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, sa.ForeignKey("enterprise.uscc"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("note", sa.Text),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_credit_flag_uscc", "credit_flag", ["uscc"])

    op.create_table(
        "pool_entry",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("uscc", sa.Text, sa.ForeignKey("enterprise.uscc"), nullable=False),
        sa.Column("pool", sa.Text, nullable=False),
        sa.Column("entered_on", sa.Date, nullable=False),
        sa.Column("left_on", sa.Date),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("left_reason", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_ref", sa.Text),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_pool_entry_uscc", "pool_entry", ["uscc"])
    op.create_index(
        "uq_pool_entry_open",
        "pool_entry",
        ["uscc", "pool"],
        unique=True,
        postgresql_where=sa.text("left_on IS NULL"),
    )

    op.create_table(
        "service_person",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("organisation", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
    )
    op.create_table(
        "service_assignment",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, sa.ForeignKey("service_person.id"), nullable=False),
        sa.Column("uscc", sa.Text, sa.ForeignKey("enterprise.uscc"), nullable=False),
        sa.Column("assigned_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.create_index("ix_service_assignment_uscc", "service_assignment", ["uscc"])
    op.create_index(
        "uq_service_assignment_open",
        "service_assignment",
        ["person_id", "uscc"],
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    )

    op.create_table(
        "enterprise_activity",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("source_service", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("summary", postgresql.JSONB, nullable=False),
    )
    op.create_index("ix_enterprise_activity_uscc", "enterprise_activity", ["uscc", "occurred_at"])

    op.create_table(
        "import_job",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("file_format", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.Text, nullable=False),
        sa.Column("total_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("processed_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failure", sa.Text),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("region_scope", sa.Text, nullable=False),
    )
    op.create_table(
        "import_job_error",
        sa.Column("job_id", sa.Text, sa.ForeignKey("import_job.id"), primary_key=True),
        sa.Column("row_number", sa.Integer, primary_key=True),
        sa.Column("field", sa.Text, primary_key=True),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("detail_zh", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
