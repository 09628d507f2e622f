"""Alembic helpers: every service keeps its migrations in ``<package>/migrations`` and runs them with
``upgrade(package, url)``; the first migration of each service calls ``create_platform_tables_v1``.

Helpers named ``_v1`` are frozen: a migration that ran must mean the same thing forever, so a change
to these tables is a new helper and a new migration, never an edit here.
"""

from __future__ import annotations

import psycopg
import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from psycopg import sql
from sqlalchemy import MetaData, pool
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from sme_common.db.engine import to_async_url, to_sync_url


def alembic_config(package: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.set_main_option("sqlalchemy.url", to_async_url(url).replace("%", "%%"))
    return config


def upgrade(package: str, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, url), revision)


def ensure_database(url: str) -> None:
    """Create the database named in ``url`` if the server does not have it yet."""
    parsed = make_url(to_sync_url(url))
    name = parsed.database
    if not name:
        raise ValueError("database URL names no database")
    admin_url = parsed.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode).

    A synchronous psycopg engine, so that migrations also run from inside a running event loop
    (tests, the embedded launcher).
    """
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = sa.create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_platform_tables_v1() -> None:
    """Outbox (with its NOTIFY trigger), inbox and idempotency records."""
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
    )
    op.create_index(
        "ix_outbox_message_unpublished",
        "outbox_message",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('sme_outbox', '');
            RETURN NULL;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_message_notify AFTER INSERT ON outbox_message "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )
    op.create_table(
        "inbox_message",
        sa.Column("consumer", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_inbox_message"),
    )
    op.create_table(
        "idempotency_record",
        sa.Column("principal", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response_body", postgresql.JSONB),
        sa.Column("response_headers", postgresql.JSONB),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("principal", "key", name="pk_idempotency_record"),
    )


def add_outbox_feed_position_v2() -> None:
    """Feed positions: assigned by the single active relay when it publishes, so that they follow
    the order in which rows became visible (a BIGSERIAL id does not: ids are drawn at insert, not at
    commit). A change feed that reads ``feed_position > cursor`` can therefore never skip a row."""
    op.execute("CREATE SEQUENCE outbox_feed_position_seq")
    op.add_column("outbox_message", sa.Column("feed_position", sa.BigInteger))
    op.create_index(
        "ix_outbox_message_feed_position", "outbox_message", ["feed_position"], unique=True
    )


def add_outbox_parking_v3() -> None:
    """Parking: a row the broker refuses for good (too large, invalid topic …) is set aside with its
    reason instead of blocking the relay; later rows of the same key wait behind it (the partial
    index finds them cheaply, there are normally none) until an operator re-sends it."""
    op.add_column("outbox_message", sa.Column("parked_at", sa.DateTime(timezone=True)))
    op.add_column("outbox_message", sa.Column("park_reason", sa.Text))
    op.create_index(
        "ix_outbox_message_parked_key",
        "outbox_message",
        ["key", "id"],
        postgresql_where=sa.text("parked_at IS NOT NULL"),
    )
