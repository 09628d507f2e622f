"""Money received back against a recovery order (追回到账): partial then full, once per receipt
reference, recorded in the budget and the ledger, announced; and who may see and record it."""

from __future__ import annotations

from typing import Any

import httpx

from services.funding.tests.budget_support import allocate
from services.funding.tests.clawback_support import funded, outbox_events, pay, revoked_for
from services.funding.tests.entitlement_support import (
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    URL,
    WAN,
    database_of,
    entitlements_of,
    grant,
    granted,
    known_enterprise,
)
from sme_common.db import Database, UnitOfWork
from sme_common.events.consumer import Outcome
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.ledger.service import check_ledger

ORDERS = f"{URL}/recovery-orders"
RECOVERED = "funding.clawback.recovered.v1"


async def _clawed_back(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    body: str,
    *,
    region: str = "620102",
    unit: str = LANZHOU,
    fund: bool = True,
) -> tuple[str, str, str]:
    """A paid 30万 award clawed back: (uscc, entitlement id, recovery order id)."""
    db = database_of(client)
    if fund:
        await funded(client, bearer, unit, 100 * WAN)
    uscc = await known_enterprise(db, body, region=region, unit=unit)
    certificate = f"cert_{body.lower()}"
    assert await grant(db, granted(uscc, certificate)) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    await pay(db, entitlement.id)
    assert await grant(db, revoked_for(uscc, certificate)) is Outcome.APPLIED
    city = bearer("city_officer", region=unit)
    listed = (await client.get(ORDERS, params={"uscc": uscc}, headers=city)).json()
    [order] = listed["items"]
    return uscc, entitlement.id, order["id"]


def _receipt(amount_fen: int, ref: str, on: str = "2026-06-10") -> dict[str, Any]:
    return {"amount_fen": amount_fen, "received_on": on, "receipt_ref": ref}


async def _figures(db: Database, entitlement_id: str) -> tuple[int, int]:
    async with UnitOfWork(db) as uow:
        found = await budgets.get_commitment(uow, f"entitlement:{entitlement_id}")
        report = await check_ledger(uow.session)
    assert found is not None
    assert report.ok, report.as_dict()
    balances = {(b["account"], b["region_code"]): b["balance_fen"] for b in report.balances}
    assert balances[("recovered", LANZHOU)] == found.recovered_fen
    assert balances[("receivable:recovery", LANZHOU)] == (
        found.recovery_raised_fen - found.recovered_fen
    )
    return found.recovery_raised_fen, found.recovered_fen


async def test_a_partial_then_a_full_receipt_recover_the_order_once_each(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    uscc, entitlement_id, order_id = await _clawed_back(client, bearer, "RC000001")
    city = bearer("city_officer", region=LANZHOU)
    url = f"{ORDERS}/{order_id}/receipts"

    first = await client.post(url, json=_receipt(10 * WAN, "GK-0001"), headers=city)
    assert first.status_code == 201, first.text
    body = first.json()
    assert (body["status"], body["recovered_fen"], body["outstanding_fen"]) == (
        "partially_recovered",
        10 * WAN,
        20 * WAN,
    )
    assert [r["receipt_ref"] for r in body["receipts"]] == ["GK-0001"]
    assert await _figures(db, entitlement_id) == (30 * WAN, 10 * WAN)

    again = await client.post(url, json=_receipt(10 * WAN, "GK-0001"), headers=city)
    assert again.status_code == 200, again.text
    assert again.json()["recovered_fen"] == 10 * WAN
    reused = await client.post(url, json=_receipt(5 * WAN, "GK-0001"), headers=city)
    assert (reused.status_code, reused.json()["code"]) == (409, "receipt_ref_reused")
    beyond = await client.post(url, json=_receipt(20 * WAN + 1, "GK-0002"), headers=city)
    assert (beyond.status_code, beyond.json()["code"]) == (409, "recovery_exceeds_outstanding")
    assert beyond.headers["content-type"] == "application/problem+json"
    future = await client.post(url, json=_receipt(WAN, "GK-0002", "2026-06-11"), headers=city)
    assert (future.status_code, future.json()["code"]) == (422, "received_on_in_future")
    early = await client.post(url, json=_receipt(WAN, "GK-0002", "2026-06-09"), headers=city)
    assert (early.status_code, early.json()["code"]) == (422, "received_on_before_raised")
    assert await _figures(db, entitlement_id) == (30 * WAN, 10 * WAN)

    rest = await client.post(url, json=_receipt(20 * WAN, "GK-0002"), headers=city)
    assert rest.status_code == 201, rest.text
    assert (rest.json()["status"], rest.json()["outstanding_fen"]) == ("recovered", 0)
    assert await _figures(db, entitlement_id) == (30 * WAN, 30 * WAN)
    closed = await client.post(url, json=_receipt(WAN, "GK-0003"), headers=city)
    assert (closed.status_code, closed.json()["code"]) == (409, "recovery_order_status_conflict")

    events = await outbox_events(db, RECOVERED)
    assert [
        (e["amount_fen"], e["recovered_fen"], e["outstanding_fen"], e["status"]) for e in events
    ] == [
        (10 * WAN, 10 * WAN, 20 * WAN, "partially_recovered"),
        (20 * WAN, 30 * WAN, 0, "recovered"),
    ]
    assert {(e["topic"], e["key"], e["clawback_id"]) for e in events} == {
        ("funding.clawback", uscc, order_id)
    }
    detail = (await client.get(f"{ORDERS}/{order_id}", headers=city)).json()
    assert [(r["receipt_ref"], r["amount_fen"]) for r in detail["receipts"]] == [
        ("GK-0001", 10 * WAN),
        ("GK-0002", 20 * WAN),
    ]


async def test_who_sees_and_who_records_recovery_orders(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    fund = await funded(client, bearer, LANZHOU, 100 * WAN)
    province = bearer("province_officer", region="620000")
    assert (await allocate(client, province, fund["id"], TIANSHUI, 100 * WAN)).status_code == 201
    uscc, _entitlement_id, order_id = await _clawed_back(client, bearer, "RC000002", fund=False)
    other, _other_entitlement, other_order = await _clawed_back(
        client, bearer, "RC000003", region=QINZHOU, unit=TIANSHUI, fund=False
    )
    one = f"{ORDERS}/{order_id}"
    own = bearer("enterprise", uscc=uscc)
    assert (await client.get(one, headers=own)).status_code == 200
    assert [o["id"] for o in (await client.get(ORDERS, headers=own)).json()["items"]] == [order_id]
    assert (await client.get(f"{ORDERS}/{other_order}", headers=own)).status_code == 404
    listed = (await client.get(ORDERS, headers=province)).json()["items"]
    assert {o["id"] for o in listed} == {order_id, other_order}
    tianshui = bearer("city_officer", region=TIANSHUI)
    assert [o["uscc"] for o in (await client.get(ORDERS, headers=tianshui)).json()["items"]] == [
        other
    ]
    missing = await client.get(one, headers=tianshui)
    assert (missing.status_code, missing.json()["code"]) == (404, "recovery_order_not_found")
    county = bearer("county_officer", region="620102")
    assert (await client.get(one, headers=county)).status_code == 200
    receipt = _receipt(WAN, "GK-9")
    for headers in (own, county):
        refused = await client.post(f"{one}/receipts", json=receipt, headers=headers)
        assert refused.status_code == 403, refused.text
    outside = await client.post(f"{one}/receipts", json=receipt, headers=tianshui)
    assert outside.status_code == 404
    assert (await client.get(one, headers=province)).json()["recovered_fen"] == 0
