"""Two real concurrent transactions that together exceed an allocation: exactly one commits."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict
from sme_common.settings import AuthSettings
from sme_common.testing.plugin import DatabaseFactory
from sme_funding.budgets import service as budgets
from sme_funding.budgets.domain import Commitment
from sme_funding.config import Settings
from sme_funding.ledger.cli import ledger_check_command


async def _seed(database: Database) -> None:
    async with UnitOfWork(database) as uow:
        await uow.session.execute(
            text(
                "INSERT INTO fund VALUES ('fund_000000000001', 'sme-development-fund', 'f',"
                " 'provincial', 2026, '620000', 1000, 'open', 1, now(), 't', now(), 't');"
                "INSERT INTO allocation VALUES ('alloc_000000000001', 'fund_000000000001',"
                " '620100', 1000, 0, 0, 0, 0, 1, now(), 't', now(), 't')"
            )
        )
        await uow.commit()


async def test_two_concurrent_commits_of_one_subject_commit_once(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("funding_same_subject", "sme_funding")
    database = Database.from_url(url, pool_size=2)
    kw = {"fund_code": "sme-development-fund", "year": 2026, "region_code": "620100"}
    try:
        await _seed(database)
        async with UnitOfWork(database) as first:
            made = await budgets.commit(first, **kw, amount_fen=400, subject_ref="ent_1", actor="a")

            async def second() -> Commitment:
                async with UnitOfWork(database) as uow:
                    again = await budgets.commit(
                        uow, **kw, amount_fen=400, subject_ref="ent_1", actor="b"
                    )
                    await uow.commit()
                    return again

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.5)
            assert not waiting.done()
            await first.commit()
        assert (await waiting).id == made.id
        async with UnitOfWork(database) as uow:
            held = (
                await uow.session.execute(text("SELECT committed_fen FROM allocation"))
            ).scalar_one()
            rows = (
                await uow.session.execute(text("SELECT count(*) FROM budget_commitment"))
            ).scalar_one()
            entries = (
                await uow.session.execute(
                    text("SELECT count(*) FROM journal_entry WHERE kind = 'committed'")
                )
            ).scalar_one()
        assert (held, rows, entries) == (400, 1, 1)
    finally:
        await database.dispose()


async def test_two_concurrent_commits_over_the_budget_one_succeeds(
    database_factory: DatabaseFactory, auth_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_factory.create("funding_concurrency", "sme_funding")
    database = Database.from_url(url, pool_size=2)
    kw = {"fund_code": "sme-development-fund", "year": 2026, "region_code": "620100"}
    try:
        await _seed(database)
        async with UnitOfWork(database) as first:
            await budgets.commit(first, **kw, amount_fen=600, subject_ref="ent_1", actor="a")

            async def second() -> str:
                async with UnitOfWork(database) as uow:
                    try:
                        await budgets.commit(
                            uow, **kw, amount_fen=600, subject_ref="ent_2", actor="b"
                        )
                    except Conflict as exc:
                        return exc.code
                    await uow.commit()
                    return "committed"

            waiting = asyncio.create_task(second())
            await asyncio.sleep(0.5)
            assert not waiting.done()  # blocked on the allocation row the first one holds
            await first.commit()
        assert await waiting == "budget_exhausted"
        async with UnitOfWork(database) as uow:
            held = (
                await uow.session.execute(text("SELECT committed_fen FROM allocation"))
            ).scalar_one()
        assert held == 600
    finally:
        await database.dispose()
    # The fund row was seeded without its appropriation entry: the check must say so.
    settings = Settings(database_url=url, auth=AuthSettings(jwks_file=auth_dir / "jwks.json"))  # type: ignore[arg-type]
    assert await asyncio.to_thread(ledger_check_command, settings) == 1
    assert '"ok": false' in capsys.readouterr().out
