"""The per-test isolation helper: code under test may commit, and nothing survives the test."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from sme_common.db import Database, UnitOfWork
from sme_common.db.engine import is_transient_failure
from sme_common.testing.plugin import DatabaseFactory, isolated_database


async def test_commits_inside_an_isolated_database_are_rolled_back(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("isolation", "sme_certification")
    insert = text(
        "INSERT INTO inbox_message (consumer, event_id, event_type, source) "
        "VALUES ('c', 'e-1', 't', 's')"
    )
    async for database in isolated_database(url):
        async with UnitOfWork(database) as uow:
            await uow.session.execute(insert)
            await uow.commit()
        async with database.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM inbox_message")) == 1

    outside = Database.from_url(url)
    async with outside.sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM inbox_message")) == 0
    await outside.dispose()


async def test_a_unit_of_work_left_without_commit_writes_nothing(
    database_factory: DatabaseFactory,
) -> None:
    database = Database.from_url(database_factory.create("isolation", "sme_certification"))
    async with UnitOfWork(database) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO inbox_message (consumer, event_id, event_type, source) "
                "VALUES ('c', 'e-2', 't', 's')"
            )
        )
    async with database.sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM inbox_message")) == 0
    await database.dispose()


_INSERT_DRIVER = (
    "INSERT INTO inbox_message (consumer, event_id, event_type, source) "
    "VALUES ('c', %(id)s, 't', 's')"
)


async def _write_then_raise_in_a_transaction(database: Database) -> None:
    with pytest.raises(LookupError):
        async with database.driver_transaction() as driver:
            await driver.execute(_INSERT_DRIVER, {"id": "dropped"})
            raise LookupError("refused after the write")


async def _event_ids(database: Database) -> list[str]:
    async with database.sessionmaker() as session:
        return list((await session.scalars(text("SELECT event_id FROM inbox_message"))).all())


async def test_a_driver_transaction_commits_at_the_end_and_writes_nothing_when_it_raises(
    database_factory: DatabaseFactory,
) -> None:
    database = Database.from_url(database_factory.create("driver", "sme_certification"))
    async with database.driver_transaction() as driver:
        await driver.execute(_INSERT_DRIVER, {"id": "kept"})
    await _write_then_raise_in_a_transaction(database)
    ids = await _event_ids(database)
    assert ids == ["kept"]
    await database.dispose()


async def test_a_driver_transaction_inside_an_isolated_database_is_rolled_back_with_it(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("driver", "sme_certification")
    async for database in isolated_database(url):
        async with database.driver_transaction() as driver:
            await driver.execute(_INSERT_DRIVER, {"id": "inside"})
        async with database.sessionmaker() as session:
            assert await session.scalar(text("SELECT count(*) FROM inbox_message")) == 1
    outside = Database.from_url(url)
    async with outside.sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM inbox_message")) == 0
    await outside.dispose()


@pytest.mark.parametrize("opened", ["driver_transaction", "driver_statement"])
async def test_a_driver_connection_that_is_lost_raises_a_transient_failure(
    database_factory: DatabaseFactory, opened: str
) -> None:
    database = Database.from_url(database_factory.create("driver", "sme_certification"))
    with pytest.raises(OperationalError) as raised:
        async with getattr(database, opened)() as driver:
            row = await (await driver.execute("SELECT pg_backend_pid()")).fetchone()
            assert row is not None
            async with database.engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": row[0]})
            await driver.execute("SELECT 1")
    assert is_transient_failure(raised.value)  # answered as a 503, as on every other path
    await database.dispose()


async def test_a_driver_statement_commits_on_its_own_and_hands_the_connection_back_as_it_was(
    database_factory: DatabaseFactory,
) -> None:
    database = Database.from_url(
        database_factory.create("driver", "sme_certification"), pool_size=1
    )
    with pytest.raises(psycopg.errors.UniqueViolation):
        async with database.driver_statement() as driver:
            await driver.execute(_INSERT_DRIVER, {"id": "first"})
            await driver.execute(_INSERT_DRIVER, {"id": "first"})
    async with database.driver_statement() as driver:
        assert driver.autocommit
        status = await (await driver.execute("SELECT 1")).fetchone()
        assert status == (1,)
    # The pool's one connection is back out of autocommit: a transaction rolls back again.
    async with database.driver_transaction() as driver:
        assert not driver.autocommit
    await _write_then_raise_in_a_transaction(database)
    ids = await _event_ids(database)
    assert ids == ["first"]  # the statement that succeeded stayed, though the block raised
    await database.dispose()
