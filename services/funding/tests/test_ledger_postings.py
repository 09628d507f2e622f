"""Every budget operation posts a balanced entry; the balances equal the budget's figures; a
corrupted journal is caught by the check and by the deferred constraint."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.funding.tests.budget_support import LANZHOU, allocate, create_fund
from sme_common.db import UnitOfWork
from sme_common.errors import Conflict
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.ledger.service import check_ledger


async def _funded(client: httpx.AsyncClient, bearer: TokenFactory, amount: int) -> dict[str, Any]:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province, total_fen=10 * amount)
    assert (await allocate(client, province, fund["id"], LANZHOU, amount)).status_code == 201
    return fund


async def test_commit_pay_recover_and_release_post_balanced_entries_that_reconcile(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _funded(client, bearer, 1_000_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    async with UnitOfWork(database) as uow:
        kw = {"fund_code": "sme-development-fund", "year": 2026, "region_code": LANZHOU}
        a = await budgets.commit(uow, **kw, amount_fen=300_000, subject_ref="ent_a", actor="t")
        await budgets.commit(uow, **kw, amount_fen=200_000, subject_ref="ent_b", actor="t")
        await budgets.record_payment(uow, "ent_a", 300_000, date(2026, 6, 12), "batch_1")
        await budgets.record_payment(uow, "ent_a", 300_000, date(2026, 6, 12), "batch_1")
        await budgets.raise_recovery(uow, "ent_a", 300_000, date(2026, 7, 1), "rec_1")
        await budgets.record_recovery(uow, "ent_a", 100_000, date(2026, 7, 5), "rcpt_1")
        released = await budgets.release(uow, "ent_b", "t")
        report = await check_ledger(uow.session)
        await uow.commit()
    assert a.amount_fen == 300_000
    assert released.outstanding_fen == 0
    assert report.ok, report.as_dict()
    assert report.debit_fen == report.credit_fen
    balances = {(b["account"], b["region_code"]): b["balance_fen"] for b in report.balances}
    assert balances[("budget:available", LANZHOU)] == 700_000
    assert balances[("budget:committed", LANZHOU)] == 0
    assert balances[("paid", LANZHOU)] == 300_000
    assert balances[("receivable:recovery", LANZHOU)] == 200_000
    assert balances[("recovered", LANZHOU)] == 100_000
    province = bearer("province_officer", region="620000")
    api = (await client.get("/api/funding/v1/ledger/balances", headers=province)).json()
    assert api["debit_fen"] == api["credit_fen"] > 0
    entries = (
        await client.get("/api/funding/v1/ledger/entries?subject_ref=ent_a", headers=province)
    ).json()
    assert [e["kind"] for e in entries["items"]] == [
        "committed",
        "paid",
        "recovery_raised",
        "recovered",
    ]
    for entry in entries["items"]:
        lines = entry["lines"]
        assert sum(x["debit_fen"] for x in lines) == sum(x["credit_fen"] for x in lines) > 0


async def test_a_commitment_beyond_the_available_budget_is_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _funded(client, bearer, 500_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    kw = {"fund_code": "sme-development-fund", "year": 2026, "region_code": LANZHOU}
    async with UnitOfWork(database) as uow:
        await budgets.commit(uow, **kw, amount_fen=400_000, subject_ref="ent_a", actor="t")
        with pytest.raises(Conflict) as refused:
            await budgets.commit(uow, **kw, amount_fen=100_001, subject_ref="ent_b", actor="t")
        assert refused.value.code == "budget_exhausted"
        assert refused.value.detail_zh
        assert await budgets.get_commitment(uow, "ent_b") is None
        assert (await check_ledger(uow.session)).ok


async def test_a_second_commit_of_the_same_subject_returns_the_first(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _funded(client, bearer, 500_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    kw = {"fund_code": "sme-development-fund", "year": 2026, "region_code": LANZHOU}
    async with UnitOfWork(database) as uow:
        first = await budgets.commit(uow, **kw, amount_fen=300_000, subject_ref="ent_a", actor="t")
        again = await budgets.commit(uow, **kw, amount_fen=300_000, subject_ref="ent_a", actor="t")
        assert again == first
        with pytest.raises(Conflict) as other:
            await budgets.commit(uow, **kw, amount_fen=1, subject_ref="ent_a", actor="t")
        assert other.value.code == "commitment_subject_mismatch"
        report = await check_ledger(uow.session)
    figures = {
        (b["account"]): b["balance_fen"] for b in report.balances if b["region_code"] == LANZHOU
    }
    assert figures["budget:committed"] == 300_000
    assert report.ok


async def test_an_allocation_is_never_reduced_below_what_is_committed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    fund = await _funded(client, bearer, 500_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    async with UnitOfWork(database) as uow:
        await budgets.commit(
            uow,
            fund_code="sme-development-fund",
            year=2026,
            region_code=LANZHOU,
            amount_fen=300_000,
            subject_ref="ent_a",
            actor="t",
        )
        await uow.commit()
    province = bearer("province_officer", region="620000")
    refused = await allocate(client, province, fund["id"], LANZHOU, 299_999, version=2)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "allocation_below_committed"
    assert (
        await allocate(client, province, fund["id"], LANZHOU, 300_000, version=2)
    ).status_code == 200


async def test_the_check_finds_an_unbalanced_line_and_the_constraint_refuses_it(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _funded(client, bearer, 500_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    async with UnitOfWork(database) as uow:
        assert (await check_ledger(uow.session)).ok
        entry = (await uow.session.execute(text("SELECT min(id) FROM journal_entry"))).scalar_one()
        savepoint = await uow.session.begin_nested()
        await uow.session.execute(
            text(
                "INSERT INTO journal_line (entry_id, fund_id, region_code, account, debit_fen,"
                " credit_fen) SELECT id, fund_id, province_code, 'paid', 1, 0 FROM journal_entry"
                " WHERE id = :id"
            ),
            {"id": entry},
        )
        report = await check_ledger(uow.session)
        assert not report.ok
        assert [e["entry_id"] for e in report.entries_unbalanced] == [entry]
        assert report.balance_differences
        with pytest.raises(Exception, match="does not balance"):
            await uow.session.execute(text("SET CONSTRAINTS journal_line_balanced IMMEDIATE"))
        await savepoint.rollback()


async def test_the_journal_is_append_only(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    await _funded(client, bearer, 500_000)
    database = client.app.state.database  # type: ignore[attr-defined]
    async with UnitOfWork(database) as uow:
        with pytest.raises(Exception, match="append-only"):
            await uow.session.execute(text("UPDATE journal_line SET debit_fen = debit_fen + 1"))


async def test_the_ledger_is_the_province_s_to_read(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _funded(client, bearer, 500_000)
    for headers, status in (
        (bearer("province_officer", region="620000"), 200),
        (bearer("platform_admin"), 200),
        (bearer("city_officer", region=LANZHOU), 403),
    ):
        for path in ("/api/funding/v1/ledger/balances", "/api/funding/v1/ledger/entries"):
            assert (await client.get(path, headers=headers)).status_code == status
    guizhou = bearer("province_officer", region="520000")
    assert (await client.get("/api/funding/v1/ledger/balances", headers=guizhou)).json()[
        "items"
    ] == []
