"""Migration helpers for the audit (frozen once released: a change is a ``_v2`` and a new migration).

- ``create_audit_v1``: the chain (``audit_record``), its per-transaction buffer (``audit_change``),
  the seal that appends a transaction's records under the chain lock, the append-only guards, and the
  application role ``sme_app`` with its grants.
- ``audit_tables_v1``: row capture on a service's own tables (statement triggers with transition
  tables, so a COPY of thousands of rows costs one buffer row, not one trigger call per row).

The chain: ``hash = sha256(prev_hash || canonical)`` where ``canonical`` is ``audit_canonical(row)``
(the record's fields as PostgreSQL's normalised ``jsonb`` text, its time in UTC with microseconds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

APP_ROLE = "sme_app"
GENESIS_HASH = "0" * 64
# Two-key advisory lock ('audi' in ASCII, 0): apart from the relay's one-key session locks.
CHAIN_LOCK = (1635083369, 0)

_CANONICAL = """
CREATE FUNCTION audit_canonical(r audit_record) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'position', r.position,
        'recorded_at', to_char(r.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor_subject', r.actor_subject,
        'actor_roles', r.actor_roles,
        'actor_client', r.actor_client,
        'request_id', r.request_id,
        'action', r.action,
        'resource_type', r.resource_type,
        'resource_id', r.resource_id,
        'before', r.before,
        'after', r.after,
        'detail', r.detail
    )::text
$$;
"""

_SEAL = f"""
CREATE FUNCTION audit_seal(p_actor jsonb, p_request_id text, p_items jsonb) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_txid bigint := txid_current();
    v_position bigint;
    v_hash text;
    v_at timestamptz;
    v_item jsonb;
    v_actor jsonb;
    v_row audit_record;
    v_count integer := 0;
BEGIN
    IF jsonb_array_length(p_items) = 0
       AND NOT EXISTS (SELECT 1 FROM audit_change WHERE txid = v_txid) THEN
        RETURN 0;
    END IF;
    -- Held until this transaction ends: chain order is commit order, and nothing interleaves.
    PERFORM pg_advisory_xact_lock({CHAIN_LOCK[0]}, {CHAIN_LOCK[1]});
    SELECT r.position, r.hash INTO v_position, v_hash
      FROM audit_record r ORDER BY r.position DESC LIMIT 1;
    v_position := coalesce(v_position, 0);
    v_hash := coalesce(v_hash, '{GENESIS_HASH}');
    v_at := clock_timestamp();
    FOR v_item IN
        SELECT e.item FROM (
            SELECT c.id AS batch, x.n, x.item
              FROM audit_change c,
                   jsonb_array_elements(c.changes) WITH ORDINALITY AS x(item, n)
             WHERE c.txid = v_txid
            UNION ALL
            SELECT 9223372036854775807, y.n, y.item
              FROM jsonb_array_elements(p_items) WITH ORDINALITY AS y(item, n)
        ) e ORDER BY e.batch, e.n
    LOOP
        v_position := v_position + 1;
        -- An item may carry its own actor and request (reads recorded in a batch).
        v_actor := coalesce(v_item->'actor', p_actor);
        v_row := ROW(
            v_position, v_at,
            v_actor->>'subject', coalesce(v_actor->'roles', '[]'::jsonb), v_actor->>'client',
            coalesce(v_item->>'request_id', p_request_id),
            v_item->>'action', v_item->>'resource_type', v_item->>'resource_id',
            nullif(v_item->'before', 'null'::jsonb),
            nullif(v_item->'after', 'null'::jsonb),
            nullif(v_item->'detail', 'null'::jsonb),
            v_hash, NULL
        )::audit_record;
        v_row.hash := encode(sha256(convert_to(v_hash || audit_canonical(v_row), 'UTF8')), 'hex');
        INSERT INTO audit_record SELECT v_row.*;
        v_hash := v_row.hash;
        v_count := v_count + 1;
    END LOOP;
    DELETE FROM audit_change WHERE txid = v_txid;
    RETURN v_count;
END $$;
"""

# A write that bypassed the unit of work (a psql session, a script) is still chained at commit,
# attributed to the database user that made it.
_SEAL_UNSEALED = """
CREATE FUNCTION audit_seal_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_change WHERE txid = txid_current()) THEN
        PERFORM audit_seal(
            jsonb_build_object('subject', 'database:' || session_user, 'roles', '[]'::jsonb),
            NULL, '[]'::jsonb);
    END IF;
    RETURN NULL;
END $$;
"""

_REFUSE = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
"""

_CAPTURE = """
CREATE FUNCTION audit_capture() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_keys text[] := TG_ARGV;
    v_new_key text;
    v_old_key text;
    v_join text;
    v_changes jsonb;
BEGIN
    SELECT string_agg(format('n.%I', k), ', '), string_agg(format('o.%I', k), ', '),
           string_agg(format('o.%I = n.%I', k, k), ' AND ')
      INTO v_new_key, v_old_key, v_join
      FROM unnest(v_keys) AS k;
    v_new_key := format('concat_ws(''/'', %s)', v_new_key);
    v_old_key := format('concat_ws(''/'', %s)', v_old_key);
    IF TG_OP = 'INSERT' THEN
        EXECUTE format(
            'SELECT jsonb_agg(jsonb_build_object(''action'', ''insert'', ''resource_type'', %L,'
            ' ''resource_id'', %s, ''after'', to_jsonb(n)) ORDER BY %s) FROM audit_new_rows n',
            TG_TABLE_NAME, v_new_key, v_new_key) INTO v_changes;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format(
            'SELECT jsonb_agg(jsonb_build_object(''action'', ''delete'', ''resource_type'', %L,'
            ' ''resource_id'', %s, ''before'', to_jsonb(o)) ORDER BY %s) FROM audit_old_rows o',
            TG_TABLE_NAME, v_old_key, v_old_key) INTO v_changes;
    ELSE
        EXECUTE format(
            'SELECT jsonb_agg(jsonb_build_object(''action'', ''update'', ''resource_type'', %L,'
            ' ''resource_id'', coalesce(%s, %s), ''before'', to_jsonb(o), ''after'', to_jsonb(n))'
            ' ORDER BY coalesce(%s, %s))'
            ' FROM audit_old_rows o FULL JOIN audit_new_rows n ON %s'
            ' WHERE to_jsonb(o) IS DISTINCT FROM to_jsonb(n)',
            TG_TABLE_NAME, v_new_key, v_old_key, v_new_key, v_old_key, v_join) INTO v_changes;
    END IF;
    IF v_changes IS NOT NULL THEN
        INSERT INTO audit_change (changes) VALUES (v_changes);
    END IF;
    RETURN NULL;
END $$;
"""


def create_audit_v1() -> None:
    """The audit chain of one service database, and the application role that may only append."""
    op.create_table(
        "audit_record",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sa.Text, nullable=False),
        sa.Column("actor_roles", postgresql.JSONB, nullable=False),
        sa.Column("actor_client", sa.Text),
        sa.Column("request_id", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("resource_type", sa.Text, nullable=False),
        sa.Column("resource_id", sa.Text),
        sa.Column("before", postgresql.JSONB),
        sa.Column("after", postgresql.JSONB),
        sa.Column("detail", postgresql.JSONB),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_audit_record_resource", "audit_record", ["resource_type", "resource_id", "position"]
    )
    op.create_index("ix_audit_record_actor", "audit_record", ["actor_subject", "position"])
    op.create_index("ix_audit_record_recorded_at", "audit_record", ["recorded_at"])
    op.create_table(
        "audit_change",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("txid", sa.BigInteger, nullable=False, server_default=sa.text("txid_current()")),
        sa.Column("changes", postgresql.JSONB, nullable=False),
    )
    op.create_index("ix_audit_change_txid", "audit_change", ["txid"])
    for statement in (_CANONICAL, _SEAL, _SEAL_UNSEALED, _REFUSE, _CAPTURE):
        op.execute(statement)
    op.execute(
        "CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER audit_change_sealed AFTER INSERT ON audit_change "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_seal_unsealed()"
    )
    grant_application_role_v1()


def grant_application_role_v1() -> None:
    """``sme_app``: reads and writes the service's tables, may only append to the audit.

    docker-compose creates it with LOGIN and a password before the first migration; elsewhere
    (embedded run, tests) it is created here without LOGIN and the service ``SET ROLE``s to it.
    Default privileges give it the tables later migrations create (run by the same migration role).
    """
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database's migration created it at the same moment
        END $$;
        """
    )
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}",
        f"REVOKE ALL ON alembic_version FROM {APP_ROLE}",
        f"GRANT SELECT ON alembic_version TO {APP_ROLE}",
        f"REVOKE ALL ON audit_record FROM {APP_ROLE}",
        f"GRANT SELECT, INSERT ON audit_record TO {APP_ROLE}",
        f"REVOKE ALL ON audit_change FROM {APP_ROLE}",
        f"GRANT SELECT, INSERT, DELETE ON audit_change TO {APP_ROLE}",
    ):
        op.execute(statement)


def audit_tables_v1(tables: Mapping[str, Sequence[str]]) -> None:
    """Capture every INSERT, UPDATE and DELETE on these tables (name → key columns) into the audit.

    The resource is the table, its id the key columns joined by ``/`` (``uscc/year``); before and
    after are the whole rows. One trigger per event: PostgreSQL allows transition tables only on
    single-event triggers.
    """
    for table, keys in tables.items():
        arguments = ", ".join(f"'{k}'" for k in keys)
        op.execute(
            f"CREATE TRIGGER audit_{table}_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS audit_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_capture({arguments})"
        )
        op.execute(
            f"CREATE TRIGGER audit_{table}_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS audit_old_rows NEW TABLE AS audit_new_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_capture({arguments})"
        )
        op.execute(
            f"CREATE TRIGGER audit_{table}_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS audit_old_rows "
            f"FOR EACH STATEMENT EXECUTE FUNCTION audit_capture({arguments})"
        )
