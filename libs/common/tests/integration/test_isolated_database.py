"""The per-test isolation helper: code under test may commit, and nothing survives the test."""

from __future__ import annotations

from sqlalchemy import text

from sme_common.db import Database, UnitOfWork
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
