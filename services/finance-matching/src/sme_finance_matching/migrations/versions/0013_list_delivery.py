"""The deltas each institution is to be sent (``list_delivery``), decided when a change is
recorded instead of on every pull: a pull becomes an index range after the cursor (issue 10: a
delta pull under 50 ms p99 with 100 institutions pulling at once; before, every pull walked every
change after its cursor and asked, per change, whether it concerned the institution).

A change concerns an institution when the enterprise is in its scope (the 市州 it serves, or its
whole province, and the tier; ``lists.domain.in_scope``) or when the institution has been given
the enterprise (``list_recipient``: in a snapshot, or queued in its deltas while in scope), so
that a revocation or expiry reaches every institution that had the enterprise, even once out of
its scope. What is queued stays queued.

Triggers keep the deliveries whatever path writes (the consumer, a replay, an operator):
- a change recorded: queued for the institutions it concerns; an enterprise queued in scope by an
  added, tier-changed or renewed change becomes the institution's;
- an institution created or its scope changed: the changes after its cursor that concern it now
  are queued (a wider scope brings the pending changes of its new 市州 and tiers);
- an enterprise entering the directory or moving to another 市州 (the directory may learn of it
  after certification's change, the topics are not ordered between them): its changes after each
  institution's cursor that are now in scope are queued.
The two last take the change log's advisory lock (``certified.repository.CHANGE_LOCK``), so they
and the recording of a change happen one after the other and no change is decided against a
scope being replaced.

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
    INSERT INTO list_delivery (institution_id, seq)
    SELECT i.id, NEW.seq
      FROM institution i
      LEFT JOIN enterprise_directory d ON d.uscc = NEW.uscc
     WHERE list_in_scope(i.province_code, i.region_codes, i.tiers, d.reporting_unit_code, NEW.tier)
        OR EXISTS (SELECT 1 FROM list_recipient r
                    WHERE r.institution_id = i.id AND r.uscc = NEW.uscc);
    IF NEW.kind IN ('added', 'tier_changed', 'renewed') THEN
        INSERT INTO list_recipient (institution_id, uscc, first_received_at)
        SELECT i.id, NEW.uscc, NEW.changed_at
          FROM institution i
          JOIN enterprise_directory d ON d.uscc = NEW.uscc
         WHERE list_in_scope(i.province_code, i.region_codes, i.tiers, d.reporting_unit_code,
                             NEW.tier)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION list_queue_for_institution() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock({CHANGE_LOCK});
    INSERT INTO list_delivery (institution_id, seq)
    SELECT institution_id, seq FROM list_pending
     WHERE institution_id = NEW.id AND (in_scope OR given)
    ON CONFLICT DO NOTHING;
    INSERT INTO list_recipient (institution_id, uscc, first_received_at)
    SELECT DISTINCT ON (uscc) institution_id, uscc, changed_at FROM list_pending
     WHERE institution_id = NEW.id AND in_scope AND kind IN ('added', 'tier_changed', 'renewed')
     ORDER BY uscc, seq
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION list_queue_for_enterprise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nothing to do for an enterprise without a change (its registration, most often).
    IF NOT EXISTS (SELECT 1 FROM certified_change WHERE uscc = NEW.uscc) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({CHANGE_LOCK});
    INSERT INTO list_delivery (institution_id, seq)
    SELECT institution_id, seq FROM list_pending
     WHERE uscc = NEW.uscc AND (in_scope OR given)
    ON CONFLICT DO NOTHING;
    INSERT INTO list_recipient (institution_id, uscc, first_received_at)
    SELECT DISTINCT ON (institution_id) institution_id, uscc, changed_at FROM list_pending
     WHERE uscc = NEW.uscc AND in_scope AND kind IN ('added', 'tier_changed', 'renewed')
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
CREATE TRIGGER enterprise_directory_queue_moved AFTER UPDATE OF reporting_unit_code
    ON enterprise_directory FOR EACH ROW
    WHEN (OLD.reporting_unit_code IS DISTINCT FROM NEW.reporting_unit_code)
    EXECUTE FUNCTION list_queue_for_enterprise();
"""


def upgrade() -> None:
    op.create_table(
        "list_delivery",
        sa.Column("institution_id", sa.Text, sa.ForeignKey("institution.id"), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
    )
    op.execute(_FUNCTIONS)
    # What the pulls so far would have sent: every institution's pending changes.
    op.execute(
        """
        INSERT INTO list_delivery (institution_id, seq)
        SELECT institution_id, seq FROM list_pending WHERE in_scope OR given;
        INSERT INTO list_recipient (institution_id, uscc, first_received_at)
        SELECT DISTINCT ON (institution_id, uscc) institution_id, uscc, changed_at
          FROM list_pending
         WHERE in_scope AND kind IN ('added', 'tier_changed', 'renewed')
         ORDER BY institution_id, uscc, seq
        ON CONFLICT DO NOTHING;
        """
    )


def downgrade() -> None:
    raise NotImplementedError("forward-only; restore from backup instead")
