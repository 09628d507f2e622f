"""One async engine per service on psycopg 3 (the same driver serves the app, Alembic and the tests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def to_async_url(url: str) -> str:
    """Any PostgreSQL URL → the SQLAlchemy psycopg 3 dialect URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def to_sync_url(url: str) -> str:
    """Any PostgreSQL URL → a plain libpq URL (for psycopg.connect and LISTEN/NOTIFY)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def set_role_on_connect(engine: AsyncEngine, role: str) -> None:
    statement = f'SET ROLE "{role}"'

    @event.listens_for(engine.sync_engine, "connect")
    def _set_role(dbapi_connection: Any, _record: Any) -> None:
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()
        dbapi_connection.autocommit = autocommit


_TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError, OSError)


def is_transient_failure(exc: BaseException) -> bool:
    """The database (or the network to it) is away: worth retrying, never the caller's fault."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, _TRANSIENT)


async def _driver_of(connection: AsyncConnection) -> psycopg.AsyncConnection[Any]:
    driver = (await connection.get_raw_connection()).driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    return driver


class Database:
    """The engine and session factory of one service.

    Tests build it around a single connection inside an outer transaction (``Database.bound_to``), so
    that everything the code under test commits becomes a savepoint and is rolled back afterwards.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        bound: bool = False,
    ) -> None:
        self.engine = engine
        self.sessionmaker = sessionmaker
        self.url = engine.url.render_as_string(hide_password=False)
        self._bound = bound
        # The service's ``public_base_url`` (settings.py): the outbox writes ``dataschema`` absolute
        # against it. Set by the runtime, which knows the settings; None keeps the path.
        self.public_base_url: str | None = None

    @property
    def bound(self) -> bool:
        """Bound to one connection inside an outer transaction (tests): commits are savepoints."""
        return self._bound

    @classmethod
    def from_url(
        cls, url: str, *, pool_size: int = 10, pre_ping: bool = False, role: str | None = None
    ) -> Database:
        """``pre_ping`` costs a round trip per checkout; without it a connection the server
        dropped fails one request (a 503 the caller retries) and is replaced. ``role``: every
        connection ``SET ROLE``s to it once, when it is opened.

        ``hide_parameters``: SQLAlchemy errors would otherwise carry the bound values (names,
        phone numbers, ID numbers) into every log line and exception that mentions them."""
        engine = create_async_engine(
            to_async_url(url),
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=pre_ping,
            hide_parameters=True,
        )
        if role is not None:
            set_role_on_connect(engine, role)
        return cls(engine, async_sessionmaker(engine, expire_on_commit=False))

    @classmethod
    def bound_to(cls, connection: AsyncConnection) -> Database:
        sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        return cls(connection.engine, sessionmaker, bound=True)

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection | AsyncSession]:
        """For single-statement reads on hot paths: an autocommit connection, one round trip (no
        BEGIN/ROLLBACK). A test database bound to one transaction reads through a session so that
        it sees what the test wrote."""
        if self._bound:
            async with self.sessionmaker() as session:
                yield session
            return
        async with self.engine.connect() as connection:
            yield await connection.execution_options(isolation_level="AUTOCOMMIT")

    @contextlib.asynccontextmanager
    async def driver_transaction(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """For the hottest paths that write only what the audit does not capture (read logs): a
        transaction on the psycopg connection itself, without an ORM session (≈0.5 ms of CPU a
        request less), committed when the block ends, rolled back if it raises. Its commit is not
        ``UnitOfWork.commit``: nothing is sealed by it, so a write a trigger captures would be
        chained by the deferred ``audit_change_sealed`` trigger as the database user, not the
        caller (docs/audit.md) — use a unit of work for those. A lost connection is raised as
        SQLAlchemy's ``OperationalError`` (a 503), as on every other path. A test database bound
        to one transaction yields its connection inside a savepoint that the block releases."""
        if self._bound:
            async with self.sessionmaker() as session:
                yield await _driver_of(await session.connection())
                await session.commit()
            return
        async with self.engine.connect() as connection:
            driver = await _driver_of(connection)
            try:
                try:
                    yield driver
                except BaseException:
                    await driver.rollback()
                    raise
                await driver.commit()
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                raise OperationalError(None, None, exc) from exc

    @contextlib.asynccontextmanager
    async def driver_statement(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        """Like ``driver_transaction``, for a path whose reads and writes are one statement: it
        runs in autocommit, its own transaction, without the BEGIN and COMMIT round trips (a
        data-modifying ``WITH`` commits with the statement or not at all). Statements sent on it
        each commit on their own: send one."""
        if self._bound:
            async with self.driver_transaction() as driver:
                yield driver
            return
        async with self.engine.connect() as connection:
            driver = await _driver_of(connection)
            await driver.set_autocommit(True)
            try:
                yield driver
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                raise OperationalError(None, None, exc) from exc
            finally:
                if not driver.closed:
                    await driver.set_autocommit(False)

    async def logs_in_as_superuser(self) -> bool:
        """Whether the login (not a role set afterwards, which a superuser can undo) is a superuser."""
        async with self.engine.connect() as connection:
            found = await connection.execute(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")
            )
            return bool(found.scalar())

    async def ping(self) -> None:
        async with self.sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
