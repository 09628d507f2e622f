"""Funds and allocations through the API: the province sets them, a 市州 sees its own."""

from __future__ import annotations

import httpx

from services.funding.tests.budget_support import FUNDS, JIAYUGUAN, LANZHOU, allocate, create_fund
from sme_common.testing.plugin import TokenFactory

ALLOCATIONS = "/api/funding/v1/allocations"


async def test_a_fund_shows_what_is_allocated_and_available(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province, total_fen=100_000_000)
    assert (await allocate(client, province, fund["id"], LANZHOU, 60_000_000)).status_code == 201
    assert (await allocate(client, province, fund["id"], "620000", 10_000_000)).status_code == 201
    read = (await client.get(f"{FUNDS}/{fund['id']}", headers=province)).json()
    assert read["allocated_fen"] == 70_000_000
    assert read["unallocated_fen"] == 30_000_000
    assert read["available_fen"] == 70_000_000
    assert read["committed_fen"] == read["paid_fen"] == read["recovered_fen"] == 0


async def test_allocations_never_exceed_the_fund_total_and_nothing_is_written(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province, total_fen=100_000_000)
    assert (await allocate(client, province, fund["id"], LANZHOU, 60_000_000)).status_code == 201
    refused = await allocate(client, province, fund["id"], JIAYUGUAN, 40_000_001)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "fund_over_allocated"
    assert refused.json()["detail_zh"]
    listed = (await client.get(ALLOCATIONS, headers=province)).json()["items"]
    assert [a["region_code"] for a in listed] == [LANZHOU]
    exact = await allocate(client, province, fund["id"], JIAYUGUAN, 40_000_000)
    assert exact.status_code == 201


async def test_reallocation_needs_the_version_read(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province)
    first = await allocate(client, province, fund["id"], LANZHOU, 1_000)
    assert first.headers["ETag"] == '"1"'
    missing = await allocate(client, province, fund["id"], LANZHOU, 2_000)
    assert missing.status_code == 409
    assert missing.json()["code"] == "version_required"
    stale = await allocate(client, province, fund["id"], LANZHOU, 2_000, version=7)
    assert stale.json()["code"] == "version_conflict"
    changed = await allocate(client, province, fund["id"], LANZHOU, 2_000, version=1)
    assert changed.status_code == 200, changed.text
    assert changed.json()["amount_fen"] == 2_000
    assert changed.json()["version"] == 2


async def test_a_city_officer_sees_only_its_own_allocations(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province)
    await allocate(client, province, fund["id"], LANZHOU, 1_000)
    await allocate(client, province, fund["id"], JIAYUGUAN, 2_000)
    lanzhou = bearer("city_officer", region=LANZHOU)
    own = (await client.get(ALLOCATIONS, headers=lanzhou)).json()["items"]
    assert [(a["region_code"], a["amount_fen"]) for a in own] == [(LANZHOU, 1_000)]
    other_province = bearer("province_officer", region="520000")
    assert (await client.get(ALLOCATIONS, headers=other_province)).json()["items"] == []
    assert (await client.get(f"{FUNDS}/{fund['id']}", headers=other_province)).status_code == 404
    assert (await client.get(f"{FUNDS}/{fund['id']}", headers=lanzhou)).status_code == 404


async def test_only_the_province_sets_funds_and_allocations(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province)
    lanzhou = bearer("city_officer", region=LANZHOU)
    assert (await allocate(client, lanzhou, fund["id"], LANZHOU, 1)).status_code == 403
    guizhou = bearer("province_officer", region="520000")
    outside = await allocate(client, guizhou, fund["id"], LANZHOU, 1)
    assert outside.status_code == 404
    assert outside.json()["code"] == "fund_not_found"
    other = await client.post(
        FUNDS,
        headers=guizhou,
        json={
            "code": "x-fund",
            "name": "x",
            "source_kind": "central",
            "year": 2026,
            "province_code": "620000",
            "total_fen": 1,
        },
    )
    assert other.status_code == 403
    assert other.json()["code"] == "region_forbidden"


async def test_bad_input_is_a_problem_and_writes_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    for body in (
        {
            "code": "Bad Code",
            "name": "n",
            "source_kind": "central",
            "year": 2026,
            "province_code": "620000",
            "total_fen": 1,
        },
        {
            "code": "ok-code",
            "name": "n",
            "source_kind": "bank",
            "year": 2026,
            "province_code": "620000",
            "total_fen": 1,
        },
        {
            "code": "ok-code",
            "name": "n",
            "source_kind": "central",
            "year": 2026,
            "province_code": "620000",
            "total_fen": -5,
        },
        {
            "code": "ok-code",
            "name": "n",
            "source_kind": "central",
            "year": 2026,
            "province_code": "620000",
            "total_fen": 1.5,
        },
    ):
        response = await client.post(FUNDS, headers=province, json=body)
        assert response.status_code == 422, body
        assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get(FUNDS, headers=province)).json()["items"] == []
    fund = await create_fund(client, province)
    wrong_region = await allocate(client, province, fund["id"], "620102", 1)
    assert wrong_region.status_code == 422
    assert wrong_region.json()["code"] == "allocation_region_invalid"
    assert (await client.get(ALLOCATIONS, headers=province)).json()["items"] == []
    entries = (await client.get("/api/funding/v1/ledger/entries", headers=province)).json()
    assert [e["kind"] for e in entries["items"]] == ["fund_created"]


async def test_a_fund_is_set_up_once_per_code_and_year(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province)
    body = {
        "code": "sme-development-fund",
        "name": "again",
        "source_kind": "central",
        "year": 2026,
        "province_code": "620000",
        "total_fen": 5,
    }
    duplicate = await client.post(FUNDS, headers=province, json=body)
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "fund_exists"
    assert duplicate.json()["fund_id"] == fund["id"]
    keyed = {**province, "Idempotency-Key": "fund-2027-1"}
    first = await client.post(FUNDS, headers=keyed, json={**body, "year": 2027})
    replay = await client.post(FUNDS, headers=keyed, json={**body, "year": 2027})
    assert first.status_code == replay.status_code == 201
    assert replay.json()["id"] == first.json()["id"]
    listed = (await client.get(f"{FUNDS}?limit=1", headers=province)).json()
    assert len(listed["items"]) == 1
    rest = (await client.get(f"{FUNDS}?cursor={listed['next_cursor']}", headers=province)).json()
    assert {f["year"] for f in [*listed["items"], *rest["items"]]} == {2026, 2027}
    assert rest["next_cursor"] is None


async def test_ledger_entries_page_in_posting_order(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province)
    for amount, version in ((1_000, None), (2_000, 1), (500, 2)):
        response = await allocate(client, province, fund["id"], LANZHOU, amount, version=version)
        assert response.status_code in (200, 201), response.text
    url = "/api/funding/v1/ledger/entries"
    first = (await client.get(f"{url}?limit=2", headers=province)).json()
    second = (
        await client.get(f"{url}?limit=2&cursor={first['next_cursor']}", headers=province)
    ).json()
    kinds = [e["kind"] for e in [*first["items"], *second["items"]]]
    assert kinds == [
        "fund_created",
        "allocation_changed",
        "allocation_changed",
        "allocation_changed",
    ]
    assert second["next_cursor"] is None
    lowered = second["items"][-1]["lines"]
    assert {(x["account"], x["credit_fen"]) for x in lowered if x["credit_fen"]} == {
        ("budget:available", 1_500)
    }
    bad = await client.get(f"{url}?cursor=bm90LWpzb24", headers=province)
    assert bad.status_code == 422
    assert bad.json()["code"] == "cursor_invalid"
