"""The bank's results posted back: paid → payment recorded in the budget and ledger, entitlement
paid, events; failed → reason recorded, entitlement failed and taken by the next batch. Idempotent
per line; a different result for a settled line is refused; no entitlement is ever paid twice,
whatever is retried or replayed; every refusal changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.funding.tests.entitlement_support import WAN
from services.funding.tests.payment_support import (
    BATCHES,
    QINZHOU,
    TIANSHUI,
    database_of,
    entitlement,
    events_of,
    failed,
    funded,
    make_batch,
    paid,
    post_results,
    province,
    sealed_batch,
    status_of,
)
from sme_common.db import Database, UnitOfWork
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.ledger.models import JournalEntry
from sme_funding.ledger.service import check_ledger


async def paid_fen(db: Database, entitlement_id: str) -> int:
    async with UnitOfWork(db) as uow:
        commitment = await budgets.get_commitment(uow, f"entitlement:{entitlement_id}")
        assert commitment is not None
        return commitment.paid_fen


async def payment_entries(db: Database, entitlement_id: str) -> int:
    query = select(func.count()).where(
        JournalEntry.kind == "paid", JournalEntry.subject_ref == f"entitlement:{entitlement_id}"
    )
    async with db.sessionmaker() as session:
        return int(await session.scalar(query) or 0)


async def ledger_ok(db: Database) -> None:
    async with db.sessionmaker() as session:
        report = await check_ledger(session)
    assert report.ok, report.as_dict()


def line_of(batch: dict[str, Any], entitlement_id: str) -> str:
    [line] = [x["id"] for x in batch["lines"] if x["entitlement_id"] == entitlement_id]
    return line


async def two_in_a_sealed_batch(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> tuple[str, str, dict[str, Any]]:
    await funded(client, bearer)
    good = await entitlement(client, "PR000001")
    bad = await entitlement(client, "PR000002", region=QINZHOU, unit=TIANSHUI)
    return good, bad, await sealed_batch(client, province(bearer))


async def test_paid_and_failed_results_move_money_statuses_and_events(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    good, bad, batch = await two_in_a_sealed_batch(client, bearer)
    posted = await post_results(
        client,
        province(bearer),
        batch["id"],
        paid(line_of(batch, good), ref="ICBC-7"),
        failed(line_of(batch, bad)),
    )
    assert posted.status_code == 200, posted.text
    report = posted.json()
    assert (report["applied"], report["unchanged"]) == (2, 0)
    assert report["batch"]["status"] == "reconciled"
    lines = {line["entitlement_id"]: line for line in report["batch"]["lines"]}
    assert lines[good]["status"] == "paid" and lines[good]["bank_reference"] == "ICBC-7"
    assert lines[bad]["status"] == "failed" and lines[bad]["failure_reason"].startswith("账户")
    assert (await status_of(db, good), await status_of(db, bad)) == ("paid", "failed")
    assert (await paid_fen(db, good), await paid_fen(db, bad)) == (30 * WAN, 0)
    async with UnitOfWork(db) as uow:
        refused = await budgets.get_commitment(uow, f"entitlement:{bad}")
    assert refused is not None and refused.last_failure_reason == "账户已销户 / account closed"
    await ledger_ok(db)

    [settled] = await events_of(db, "funding.payment.settled.v1")
    assert settled["topic"] == "funding.payment"
    assert (settled["entitlement_id"], settled["amount_fen"]) == (good, 30 * WAN)
    assert settled["settled_on"] == "2026-06-09"
    [paid_event] = await events_of(db, "funding.entitlement.paid.v1")
    assert paid_event["topic"] == "funding.entitlement"
    assert (paid_event["batch_id"], paid_event["bank_reference"]) == (batch["id"], "ICBC-7")
    [failed_event] = await events_of(db, "funding.entitlement.failed.v1")
    assert (failed_event["entitlement_id"], failed_event["reason"]) == (
        bad,
        "账户已销户 / account closed",
    )


async def test_the_same_results_again_change_nothing_and_a_different_one_is_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    good, bad, batch = await two_in_a_sealed_batch(client, bearer)
    results = (paid(line_of(batch, good)), failed(line_of(batch, bad)))
    first = await post_results(client, province(bearer), batch["id"], *results)
    assert first.status_code == 200
    again = await post_results(client, province(bearer), batch["id"], *results)
    assert again.status_code == 200, again.text
    assert (again.json()["applied"], again.json()["unchanged"]) == (0, 2)
    assert again.json()["batch"]["version"] == first.json()["batch"]["version"]
    assert len(await events_of(db, "funding.entitlement.paid.v1")) == 1
    assert len(await events_of(db, "funding.entitlement.failed.v1")) == 1
    assert await payment_entries(db, good) == 1

    for different in (
        paid(line_of(batch, good), ref="ICBC-OTHER"),
        paid(line_of(batch, good), on="2026-06-08"),
        failed(line_of(batch, good)),
        paid(line_of(batch, bad)),
    ):
        refused = await post_results(client, province(bearer), batch["id"], different)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "line_result_conflict"
    assert (await paid_fen(db, good), await paid_fen(db, bad)) == (30 * WAN, 0)
    assert (await status_of(db, good), await status_of(db, bad)) == ("paid", "failed")
    await ledger_ok(db)


async def test_a_failed_entitlement_returns_to_the_next_batch_and_is_paid_once_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer)
    made = await entitlement(client, "PN000001")
    first = await sealed_batch(client, province(bearer))
    first_line = line_of(first, made)
    assert (
        await post_results(client, province(bearer), first["id"], failed(first_line))
    ).is_success
    second = await sealed_batch(client, province(bearer))
    second_line = line_of(second, made)
    assert second_line != first_line
    assert (
        await post_results(client, province(bearer), second["id"], paid(second_line))
    ).is_success
    assert await status_of(db, made) == "paid"

    # The bank replays "paid" for the first batch's line too: refused, nothing moves.
    replay = await post_results(client, province(bearer), first["id"], paid(first_line))
    assert replay.status_code == 409 and replay.json()["code"] == "line_result_conflict"
    assert await paid_fen(db, made) == 30 * WAN
    assert await payment_entries(db, made) == 1
    assert len(await events_of(db, "funding.payment.settled.v1")) == 1
    nothing_left = await make_batch(client, province(bearer))
    assert nothing_left.status_code == 409
    await ledger_ok(db)


async def test_results_are_all_or_nothing_and_bad_ones_are_problems(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer)
    good = await entitlement(client, "PQ000001")
    draft = (await make_batch(client, province(bearer))).json()
    line = line_of(draft, good)
    early = await post_results(client, province(bearer), draft["id"], paid(line))
    assert early.status_code == 409 and early.json()["code"] == "payment_batch_status_conflict"
    await client.post(
        f"{BATCHES}/{draft['id']}/seal", json={"version": 1}, headers=province(bearer)
    )
    cases: list[tuple[list[dict[str, Any]], int, str]] = [
        ([paid(line), paid("pl_0000000000000000")], 422, "line_not_in_batch"),
        ([paid(line), paid(line)], 422, "line_repeated"),
        ([{**paid(line), "paid_on": None}], 422, "paid_on_required"),
        ([{**paid(line), "bank_reference": None}], 422, "bank_reference_required"),
        ([{**paid(line), "failure_reason": "x"}], 422, "failure_reason_unexpected"),
        ([{**failed(line), "failure_reason": None}], 422, "failure_reason_required"),
        ([paid(line, on="2026-06-11")], 422, "paid_on_in_future"),
        ([{**paid(line), "outcome": "lost"}], 422, "validation_failed"),
        ([], 422, "validation_failed"),
    ]
    for results, status, code in cases:
        response = await post_results(client, province(bearer), draft["id"], *results)
        assert response.status_code == status, (results, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        if code != "validation_failed":
            assert response.json()["code"] == code, response.text
    assert await status_of(db, good) == "in_batch"
    assert await paid_fen(db, good) == 0
    assert await events_of(db, "funding.entitlement.paid.v1") == []
    missing = await post_results(client, province(bearer), "pay_000000000000", paid(line))
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("role", "scopes", "status"),
    [
        ("agency_system", ("funding:write",), 200),
        ("agency_system", ("funding:read",), 403),
        ("city_officer", (), 200),
        ("county_officer", (), 403),
    ],
)
async def test_the_treasury_system_with_write_scope_may_post_results(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    role: str,
    scopes: tuple[str, ...],
    status: int,
) -> None:
    await funded(client, bearer)
    made = await entitlement(client, "PT000001")
    batch = await sealed_batch(client, province(bearer), region="620100")
    region = (
        "620102" if role == "county_officer" else ("620100" if role == "city_officer" else "620000")
    )
    headers = bearer(role, region=region, scopes=scopes)
    response = await post_results(client, headers, batch["id"], paid(line_of(batch, made)))
    assert response.status_code == status, response.text
    treasury = bearer("agency_system", region="620000", scopes=("funding:write", "funding:read"))
    assert (await make_batch(client, treasury)).status_code == 403
