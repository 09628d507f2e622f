"""The reconciliation (对账) of a batch: control totals vs lines vs results vs the ledger's payments
for the batch; a clean batch balances, a line corrupted behind the service's back is reported."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from services.funding.tests.entitlement_support import WAN
from services.funding.tests.payment_support import (
    BATCHES,
    QINZHOU,
    TIANSHUI,
    database_of,
    entitlement,
    failed,
    funded,
    make_batch,
    paid,
    post_results,
    province,
    sealed_batch,
)
from sme_common.testing.plugin import TokenFactory


async def test_a_settled_batch_reconciles_with_the_ledger(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    first = await entitlement(client, "PK000001")
    await entitlement(client, "PK000002", region=QINZHOU, unit=TIANSHUI)
    batch = await sealed_batch(client, province(bearer))
    url = f"{BATCHES}/{batch['id']}/reconciliation"
    before = (await client.get(url, headers=province(bearer))).json()
    assert before["pending"] == {"count": 2, "sum_fen": 60 * WAN}
    assert before["ledger"] == {"count": 0, "sum_fen": 0} and before["balanced"]
    lines = {line["entitlement_id"]: line["id"] for line in batch["lines"]}
    results = [paid(line) if e == first else failed(line) for e, line in lines.items()]
    assert (await post_results(client, province(bearer), batch["id"], *results)).is_success
    report = (await client.get(url, headers=province(bearer))).json()
    assert report["status"] == "reconciled" and report["balanced"]
    assert report["control"] == report["lines"] == {"count": 2, "sum_fen": 60 * WAN}
    assert report["paid"] == report["ledger"] == {"count": 1, "sum_fen": 30 * WAN}
    assert report["failed"] == {"count": 1, "sum_fen": 30 * WAN}
    assert report["differences"] == []


async def test_a_line_amount_changed_in_sql_is_reported_and_blocks_the_seal(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    await entitlement(client, "PK000003")
    draft = (await make_batch(client, province(bearer))).json()
    [line] = draft["lines"]
    async with database_of(client).sessionmaker() as session:
        await session.execute(
            text("UPDATE payment_line SET amount_fen = amount_fen + 1 WHERE id = :id"),
            {"id": line["id"]},
        )
        await session.commit()
    shown = (await client.get(f"{BATCHES}/{draft['id']}", headers=province(bearer))).json()
    assert not shown["control_totals_match"]
    assert shown["lines_total"] == {"count": 1, "sum_fen": 30 * WAN + 1}
    report = (
        await client.get(f"{BATCHES}/{draft['id']}/reconciliation", headers=province(bearer))
    ).json()
    assert not report["balanced"]
    found = {(d["code"], d["line_id"], d["expected"], d["actual"]) for d in report["differences"]}
    assert found == {
        ("control_sum_mismatch", None, 30 * WAN, 30 * WAN + 1),
        ("line_amount_differs_from_entitlement", line["id"], 30 * WAN, 30 * WAN + 1),
    }
    sealed = await client.post(
        f"{BATCHES}/{draft['id']}/seal", json={"version": 1}, headers=province(bearer)
    )
    assert sealed.status_code == 409 and sealed.json()["code"] == "control_totals_mismatch"


async def test_a_sealed_line_corrupted_after_payment_shows_the_ledger_difference(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    await entitlement(client, "PK000004")
    batch = await sealed_batch(client, province(bearer))
    [line] = batch["lines"]
    assert (await post_results(client, province(bearer), batch["id"], paid(line["id"]))).is_success
    async with database_of(client).sessionmaker() as session:
        await session.execute(
            text("UPDATE payment_line SET amount_fen = 1 WHERE id = :id"), {"id": line["id"]}
        )
        await session.commit()
    report = (
        await client.get(f"{BATCHES}/{batch['id']}/reconciliation", headers=province(bearer))
    ).json()
    codes = {d["code"] for d in report["differences"]}
    assert codes == {
        "control_sum_mismatch",
        "line_amount_differs_from_entitlement",
        "ledger_amount_mismatch",
    }
    assert report["ledger"] == {"count": 1, "sum_fen": 30 * WAN}
