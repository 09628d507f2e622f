"""Integrity of the register (issue 6): the change feed scoped by the regions of each change, names
searched on their NFKC fold, credit-flag history, who ended an assignment, and size-class
explanations whose money figures say their unit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

# The SQL twin of sme_common.text.fold: NFKC, Unicode case folding (pg_unicode_fast folds like
# Python's str.casefold), blanks removed. It also drops the invisible format characters the API
# now refuses, so that names stored before that rule (兰州\u200b示例) are still found.
SME_FOLD = r"""
CREATE FUNCTION sme_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(
        casefold(normalize(t, NFKC) COLLATE pg_unicode_fast),
        '[\u0009-\u000d\u001c-\u0020\u0085\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f'
        '\u205f-\u2064\u2066-\u206f\u3000\ufeff]',
        '', 'g')
$$
"""

# Where each registry.enterprise event happened (ADR 0007). "after" is the region the event carries
# (registered and updated events carry the register fields) or, for facts, size class, pools and
# flags, the last one known for that enterprise: earlier in the same statement, else the last row
# recorded, else (events older than this table) the enterprise's row. "before" is the previous
# event's "after". Events of one enterprise are written under its row lock, so outbox ids follow
# their order. ``{source}`` is the inserted rows (trigger) or the whole outbox (backfill).
SCOPE_INSERT = """
INSERT INTO enterprise_change_scope (
    event_id, outbox_id, uscc, region_code_before, reporting_unit_code_before,
    region_code_after, reporting_unit_code_after)
WITH events AS (
    SELECT o.id, o.event_id, o.key,
           CASE WHEN o.event_type IN ('registry.enterprise.registered.v1',
                                      'registry.enterprise.updated.v1')
                THEN convert_from(o.payload, 'UTF8')::jsonb END AS register
    FROM {source} AS o
    WHERE o.event_type LIKE 'registry.enterprise.%' AND o.key IS NOT NULL
), runs AS (
    SELECT e.*, count(e.register) OVER (PARTITION BY e.key ORDER BY e.id) AS run
    FROM events AS e
), placed AS (
    SELECT r.id, r.event_id, r.key,
           coalesce(first_value(r.register ->> 'region_code') OVER run_window,
                    last.region_code_after, ent.region_code) AS region_after,
           coalesce(first_value(r.register ->> 'reporting_unit_code') OVER run_window,
                    last.reporting_unit_code_after, ent.reporting_unit_code) AS unit_after,
           last.region_code_after AS region_known,
           last.reporting_unit_code_after AS unit_known
    FROM runs AS r
    LEFT JOIN LATERAL (
        SELECT s.region_code_after, s.reporting_unit_code_after
        FROM enterprise_change_scope AS s
        WHERE s.uscc = r.key AND s.outbox_id < r.id
        ORDER BY s.outbox_id DESC
        LIMIT 1
    ) AS last ON true
    LEFT JOIN enterprise AS ent ON ent.uscc = r.key
    WINDOW run_window AS (PARTITION BY r.key, r.run ORDER BY r.id)
)
SELECT event_id, id, key,
       coalesce(lag(region_after) OVER previous, region_known, region_after),
       coalesce(lag(unit_after) OVER previous, unit_known, unit_after),
       region_after, unit_after
FROM placed
WHERE region_after IS NOT NULL AND unit_after IS NOT NULL
WINDOW previous AS (PARTITION BY key ORDER BY id)
"""

# Size-class explanations labelled fen figures "_wan" (defect 12): keep the fen value under a "_fen"
# key and put the 万元 value under the old key, as the code now writes them.
EXPLANATION_UNITS = """
UPDATE size_class_record
SET explanation = jsonb_set(
    explanation, '{{figures}}',
    (explanation -> 'figures')
    || jsonb_build_object(
        '{metric}_fen', explanation -> 'figures' -> '{metric}_wan',
        '{metric}_wan', CASE
            WHEN jsonb_typeof(explanation -> 'figures' -> '{metric}_wan') = 'number'
            THEN to_jsonb(trim_scale(
                (explanation -> 'figures' ->> '{metric}_wan')::numeric / 1000000))
            ELSE 'null'::jsonb END))
WHERE explanation -> 'figures' ? '{metric}_wan'
  AND NOT explanation -> 'figures' ? '{metric}_fen'
"""


def upgrade() -> None:
    # Name search on the fold (defect 10, ADR 0008): a generated column, so that the COPY import
    # and every other writer fill it; adding it rewrites the table, which backfills every row.
    op.execute(SME_FOLD)
    op.add_column(
        "enterprise",
        sa.Column(
            "name_folded",
            sa.Text,
            sa.Computed("sme_fold(name)", persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_enterprise_name_folded_trgm",
        "enterprise",
        ["name_folded"],
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    )
    op.execute(
        "CREATE INDEX ix_enterprise_name_folded_bigrams ON enterprise "
        "USING gin (sme_bigrams(name_folded))"
    )
    # Search no longer reads the raw name; its indexes would only slow every write.
    op.drop_index("ix_enterprise_name_trgm", table_name="enterprise")
    op.drop_index("ix_enterprise_name_bigrams", table_name="enterprise")

    # The change feed scoped by the regions of each change (defect 6).
    op.create_table(
        "enterprise_change_scope",
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("outbox_id", sa.BigInteger, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("region_code_before", sa.Text, nullable=False),
        sa.Column("reporting_unit_code_before", sa.Text, nullable=False),
        sa.Column("region_code_after", sa.Text, nullable=False),
        sa.Column("reporting_unit_code_after", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_enterprise_change_scope_uscc", "enterprise_change_scope", ["uscc", "outbox_id"]
    )
    op.execute(SCOPE_INSERT.format(source="outbox_message"))
    op.execute(
        f"""
        CREATE FUNCTION registry_record_change_scope() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            {SCOPE_INSERT.format(source="inserted_events")};
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_message_change_scope AFTER INSERT ON outbox_message "
        "REFERENCING NEW TABLE AS inserted_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION registry_record_change_scope()"
    )

    # Credit flags keep every version (defect 12); today's flags start their history as they are.
    op.create_table(
        "credit_flag_revision",
        sa.Column("flag_id", sa.Text, sa.ForeignKey("credit_flag.id"), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
    )
    op.execute(
        """
        INSERT INTO credit_flag_revision (flag_id, version, change, kind, source, reference,
            started_on, ended_on, note, recorded_at, recorded_by)
        SELECT id, version, CASE WHEN version = 1 THEN 'raised' ELSE 'updated' END, kind, source,
               reference, started_on, ended_on, note, recorded_at, recorded_by
        FROM credit_flag
        """
    )

    # Who ended an assignment (defect 12); earlier ends were not recorded and stay unknown (NULL).
    op.add_column("service_assignment", sa.Column("ended_at", TS))
    op.add_column("service_assignment", sa.Column("ended_by", sa.Text))

    # Size-class explanations that labelled fen "_wan" (defect 12).
    for metric in ("operating_revenue", "total_assets"):
        op.execute(EXPLANATION_UNITS.format(metric=metric))


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
