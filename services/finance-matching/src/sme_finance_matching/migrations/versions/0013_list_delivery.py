"""The deltas each institution is to be sent (``list_delivery``), decided when a change is
recorded instead of on every pull, and each change's JSON (``list_change``), rendered when it is
recorded instead of on every pull: a pull becomes an index range after the cursor whose rows are
concatenated (issue 10: a delta pull under 50 ms p99 with 100 institutions pulling at once;
before, every pull walked every change after its cursor, asked per change whether it concerned
the institution, and rendered each change it sent, 10–20 µs of PostgreSQL CPU a row).

A change concerns an institution when the enterprise is in its scope (the 市州 it serves, or its
whole province, and the tier; ``lists.domain.in_scope``) or when the institution has been given
the enterprise (``list_recipient``: in a snapshot, or queued in its deltas while in scope), so
that a revocation or expiry reaches every institution that had the enterprise, even once out of
its scope. What is queued stays queued; whether it is in scope (``in_scope``) is kept current
for the changes after the institution's cursor.

Triggers keep both whatever path writes (the consumer, a replay, an operator):
- a change recorded: rendered, and queued for the institutions it concerns; an enterprise queued
  in scope by an added, tier-changed or renewed change becomes the institution's;
- an institution created or its scope changed: the changes after its cursor that concern it now
  are queued, and ``in_scope`` of those queued is decided again (a wider scope brings the pending
  changes of its new 市州 and tiers);
- an enterprise entering the directory or changing there (certification's and registry's topics
  are not ordered between them): its changes are rendered again with its name, 市州 and
  industry; when it entered or moved, its changes after each institution's cursor are queued for
  the institutions they concern now and ``in_scope`` is decided again.
Those two take the change log's advisory lock (``certified.repository.CHANGE_LOCK``), so that
they and the recording of a change happen one after the other and no change is decided against a
scope being replaced.

A change's JSON is the shape of ``lists.schemas.DeltaChange`` up to ``"in_scope":``, its value
added by the pull (``true}`` or ``false}``); times as the API writes them (UTC with a Z,
microseconds only when there are any). ``tests/test_lists_api.py`` checks it against the model.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

CHANGE_LOCK = 0x5F4D_4345_5254
"""``certified.repository.CHANGE_LOCK`` (a migration does not import the code it migrates)."""
GIVING_KINDS = "('added', 'tier_changed', 'renewed')"
"""The changes that give an institution the enterprise when queued in its scope."""

_FUNCTIONS = f"""
-- lists.domain.in_scope in SQL (inlined by the planner).
CREATE FUNCTION list_in_scope(province_code text, region_codes text[], tiers text[],
                              reporting_unit_code text, tier text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT reporting_unit_code IS NOT NULL
       AND substr(reporting_unit_code, 1, 2) = substr(province_code, 1, 2)
       AND tier = ANY(tiers)
       AND (province_code = ANY(region_codes) OR reporting_unit_code = ANY(region_codes))
$$;

-- A change's JSON up to the value of in_scope, with the enterprise as the directory knows it.
CREATE FUNCTION list_change_body(c certified_change) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT left(row_to_json(x)::text, -1) || ',"in_scope":'
      FROM (SELECT c.seq AS position, c.kind, c.uscc, d.name, c.certificate_id, c.tier,
                   c.previous_tier, c.level, c.issued_on, c.expires_on, c.status,
                   d.region_code, d.reporting_unit_code, d.industry_code,
                   to_char(c.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
                   || CASE WHEN mod(extract(microseconds FROM c.changed_at)::bigint, 1000000) = 0
                           THEN '' ELSE to_char(c.changed_at AT TIME ZONE 'UTC', '.US') END
                   || 'Z' AS changed_at
              FROM (SELECT c.uscc) AS one
              LEFT JOIN enterprise_directory d ON d.uscc = one.uscc) AS x
$$;

-- Every institution's pending changes (after its cursor), whether each is in its scope now and
-- whether the institution has been given the enterprise. Filtered by institution or enterprise,
-- the planner starts from that one (the institution's range of changes, or the enterprise's).
CREATE VIEW list_pending AS
SELECT i.id AS institution_id, ch.seq, ch.uscc, ch.kind, ch.changed_at,
       list_in_scope(i.province_code, i.region_codes, i.tiers, d.reporting_unit_code, ch.tier)
           AS in_scope,
       EXISTS (SELECT 1 FROM list_recipient r WHERE r.institution_id = i.id AND r.uscc = ch.uscc)
           AS given
  FROM institution i
  LEFT JOIN list_cursor lc ON lc.institution_id = i.id
  JOIN certified_change ch ON ch.seq > coalesce(lc.position, 0)
  LEFT JOIN enterprise_directory d ON d.uscc = ch.uscc;

CREATE FUNCTION list_queue_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO list_change (seq, uscc, body) VALUES (NEW.seq, NEW.uscc, list_change_body(NEW));
    WITH concerned AS (
        SELECT i.id AS institution_id,
               list_in_scope(i.province_code, i.region_codes, i.tiers, d.reporting_unit_code,
                             NEW.tier) AS in_scope,
               EXISTS (SELECT 1 FROM list_recipient r
                        WHERE r.institution_id = i.id AND r.uscc = NEW.uscc) AS given
          FROM institution i
          LEFT JOIN enterprise_directory d ON d.uscc = NEW.uscc
    ), queued AS (
        INSERT INTO list_delivery (institution_id, seq, in_scope)
        SELECT institution_id, NEW.seq, in_scope FROM concerned WHERE in_scope OR given
        RETURNING institution_id, in_scope
    )
    INSERT INTO list_recipient (institution_id, uscc, first_received_at)
    SELECT institution_id, NEW.uscc, NEW.changed_at FROM queued
     WHERE in_scope AND NEW.kind IN {GIVING_KINDS}
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION list_queue_for_institution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({CHANGE_LOCK});
    UPDATE list_delivery ld SET in_scope = p.in_scope
      FROM list_pending p
     WHERE p.institution_id = NEW.id AND ld.institution_id = NEW.id AND ld.seq = p.seq
       AND ld.in_scope IS DISTINCT FROM p.in_scope;
    INSERT INTO list_delivery (institution_id, seq, in_scope)
    SELECT institution_id, seq, in_scope FROM list_pending
     WHERE institution_id = NEW.id AND (in_scope OR given)
    ON CONFLICT DO NOTHING;
    INSERT INTO list_recipient (institution_id, uscc, first_received_at)
    SELECT DISTINCT ON (uscc) institution_id, uscc, changed_at FROM list_pending
     WHERE institution_id = NEW.id AND in_scope AND kind IN {GIVING_KINDS}
     ORDER BY uscc, seq
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION list_queue_for_enterprise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nothing to do for an enterprise without a change (its registration, most often).
    IF NOT EXISTS (SELECT 1 FROM list_change WHERE uscc = NEW.uscc) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({CHANGE_LOCK});
    UPDATE list_change lc SET body = list_change_body(c)
      FROM certified_change c
     WHERE lc.uscc = NEW.uscc AND c.seq = lc.seq;
    IF TG_OP = 'UPDATE'
       AND OLD.reporting_unit_code IS NOT DISTINCT FROM NEW.reporting_unit_code THEN
        RETURN NULL;
    END IF;
    UPDATE list_delivery ld SET in_scope = p.in_scope
      FROM list_pending p
     WHERE p.uscc = NEW.uscc AND ld.institution_id = p.institution_id AND ld.seq = p.seq
       AND ld.in_scope IS DISTINCT FROM p.in_scope;
    INSERT INTO list_delivery (institution_id, seq, in_scope)
    SELECT institution_id, seq, in_scope FROM list_pending
     WHERE uscc = NEW.uscc AND (in_scope OR given)
    ON CONFLICT DO NOTHING;
    INSERT INTO list_recipient (institution_id, uscc, first_received_at)
    SELECT DISTINCT ON (institution_id) institution_id, uscc, changed_at FROM list_pending
     WHERE uscc = NEW.uscc AND in_scope AND kind IN {GIVING_KINDS}
     ORDER BY institution_id, seq
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER certified_change_queue AFTER INSERT ON certified_change
    FOR EACH ROW EXECUTE FUNCTION list_queue_change();
CREATE TRIGGER institution_queue_created AFTER INSERT ON institution
    FOR EACH ROW EXECUTE FUNCTION list_queue_for_institution();
CREATE TRIGGER institution_queue_scope AFTER UPDATE OF province_code, region_codes, tiers
    ON institution FOR EACH ROW
    WHEN (OLD.province_code IS DISTINCT FROM NEW.province_code
          OR OLD.region_codes IS DISTINCT FROM NEW.region_codes
          OR OLD.tiers IS DISTINCT FROM NEW.tiers)
    EXECUTE FUNCTION list_queue_for_institution();
CREATE TRIGGER enterprise_directory_queue_added AFTER INSERT ON enterprise_directory
    FOR EACH ROW EXECUTE FUNCTION list_queue_for_enterprise();
CREATE TRIGGER enterprise_directory_queue_changed
    AFTER UPDATE OF name, region_code, reporting_unit_code, industry_code
    ON enterprise_directory FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name
          OR OLD.region_code IS DISTINCT FROM NEW.region_code
          OR OLD.reporting_unit_code IS DISTINCT FROM NEW.reporting_unit_code
          OR OLD.industry_code IS DISTINCT FROM NEW.industry_code)
    EXECUTE FUNCTION list_queue_for_enterprise();
"""


def upgrade() -> None:
    op.create_table(
        "list_change",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_list_change_uscc", "list_change", ["uscc"])
    op.create_table(
        "list_delivery",
        # No foreign key: see ``lists.models.ListDelivery`` (it would deadlock an officer's
        # update of the institution against a change being queued for it).
        sa.Column("institution_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("in_scope", sa.Boolean, nullable=False),
    )
    op.execute(_FUNCTIONS)
    # The changes so far, and what the pulls so far would have sent: every institution's
    # pending changes.
    op.execute(
        f"""
        INSERT INTO list_change (seq, uscc, body)
        SELECT c.seq, c.uscc, list_change_body(c) FROM certified_change c;
        INSERT INTO list_delivery (institution_id, seq, in_scope)
        SELECT institution_id, seq, in_scope FROM list_pending WHERE in_scope OR given;
        INSERT INTO list_recipient (institution_id, uscc, first_received_at)
        SELECT DISTINCT ON (institution_id, uscc) institution_id, uscc, changed_at
          FROM list_pending
         WHERE in_scope AND kind IN {GIVING_KINDS}
         ORDER BY institution_id, uscc, seq
        ON CONFLICT DO NOTHING;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
