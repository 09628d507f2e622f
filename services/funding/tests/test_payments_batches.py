"""Payment batches (支付批次): made from approved entitlements (with a budget commitment) in one
transaction with control totals; an entitlement is never in two open batches; sealed for export
(CSV with BOM, header and control-total trailer; JSON); withdrawn drafts give their entitlements
back; every caller sees the batches of its region only."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from services.funding.tests.entitlement_support import WAN
from services.funding.tests.payment_support import (
    BATCHES,
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    database_of,
    entitlement,
    funded,
    make_batch,
    province,
    status_of,
)
from sme_common.db import UnitOfWork
from sme_common.testing.plugin import TokenFactory
from sme_funding.entitlements import repository, service
from sme_funding.entitlements.domain import EntitlementStatus


async def test_a_batch_takes_the_approved_entitlements_with_a_commitment_and_no_other(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    db = database_of(client)
    lanzhou = await entitlement(client, "PB000001")
    tianshui = await entitlement(client, "PB000002", region=QINZHOU, unit=TIANSHUI)
    pending = await entitlement(client, "PB000003", approved=False)
    uncommitted = await entitlement(client, "PB000004", approved=False)
    async with UnitOfWork(db) as uow:  # approved, but no budget commitment: not payable yet
        row = await repository.by_id(uow.session, uncommitted, for_update=True)
        assert row is not None
        await service.move_status(uow, row, EntitlementStatus.APPROVED, actor="t")
        await uow.commit()

    made = await make_batch(client, province(bearer))
    assert made.status_code == 201, made.text
    batch = made.json()
    assert batch["status"] == "draft" and batch["region_code"] == "620000"
    assert sorted(line["entitlement_id"] for line in batch["lines"]) == sorted([lanzhou, tianshui])
    assert batch["control"] == {"count": 2, "sum_fen": 60 * WAN}
    assert batch["lines_total"] == batch["control"] and batch["control_totals_match"]
    assert [line["position"] for line in batch["lines"]] == [1, 2]
    assert all(line["status"] == "pending" for line in batch["lines"])
    for moved in (lanzhou, tianshui):
        assert await status_of(db, moved) == "in_batch"
    assert await status_of(db, pending) == "pending_approval"
    assert await status_of(db, uncommitted) == "approved"

    again = await make_batch(client, province(bearer))
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "payment_batch_empty"


async def test_the_filters_choose_region_payee_kind_and_at_most_n_oldest_first(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    ids = sorted([await entitlement(client, f"PF00000{i}") for i in range(1, 4)])
    await entitlement(client, "PF000009", region=QINZHOU, unit=TIANSHUI)
    none = await make_batch(client, province(bearer), payee_kind="city_government")
    assert none.status_code == 409
    first = await make_batch(client, province(bearer), region=LANZHOU, max_lines=2, year=2026)
    assert first.status_code == 201, first.text
    assert [line["entitlement_id"] for line in first.json()["lines"]] == ids[:2]
    assert first.json()["region_code"] == LANZHOU
    rest = await make_batch(client, province(bearer), region=LANZHOU, payee_kind="enterprise")
    assert [line["entitlement_id"] for line in rest.json()["lines"]] == ids[2:]
    other_year = await make_batch(client, province(bearer), year=2025)
    assert other_year.status_code == 409


async def test_a_city_officer_batches_and_sees_its_own_city_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    await entitlement(client, "PC000001")
    tianshui = await entitlement(client, "PC000002", region=QINZHOU, unit=TIANSHUI)
    lanzhou_officer = bearer("city_officer", region=LANZHOU)
    refused = await make_batch(client, lanzhou_officer, region=TIANSHUI)
    assert refused.status_code == 403 and refused.json()["code"] == "region_forbidden"
    own = await make_batch(client, lanzhou_officer)
    assert own.status_code == 201, own.text
    assert own.json()["region_code"] == LANZHOU and own.json()["control"]["count"] == 1
    provincial = await make_batch(client, province(bearer))
    assert [line["entitlement_id"] for line in provincial.json()["lines"]] == [tianshui]

    own_id, provincial_id = own.json()["id"], provincial.json()["id"]
    tianshui_officer = bearer("city_officer", region=TIANSHUI)
    cases = [
        (province(bearer), {own_id, provincial_id}),
        (bearer("platform_admin"), {own_id, provincial_id}),
        (
            bearer("agency_system", region="620000", scopes=("funding:read",)),
            {own_id, provincial_id},
        ),
        (lanzhou_officer, {own_id}),
        (tianshui_officer, set()),
    ]
    for headers, expected in cases:
        listed = await client.get(BATCHES, headers=headers)
        assert listed.status_code == 200, listed.text
        assert {item["id"] for item in listed.json()["items"]} == expected
    hidden = await client.get(f"{BATCHES}/{own_id}", headers=tianshui_officer)
    assert hidden.status_code == 404 and hidden.json()["code"] == "payment_batch_not_found"
    county = await client.get(BATCHES, headers=bearer("county_officer", region="620102"))
    assert county.status_code == 403
    admin = await make_batch(client, bearer("platform_admin"))
    assert admin.status_code == 422 and admin.json()["code"] == "region_required"


async def test_the_database_refuses_an_entitlement_in_two_open_batches(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    await entitlement(client, "PD000001")
    batch = (await make_batch(client, province(bearer))).json()
    [line] = batch["lines"]
    copy = text(
        "INSERT INTO payment_line (id, batch_id, position, entitlement_id, policy_code,"
        " payee_kind, payee_id, region_code, amount_fen, status)"
        " SELECT 'pl_ffffffffffffffff', batch_id, 2, entitlement_id, policy_code, payee_kind,"
        " payee_id, region_code, amount_fen, 'pending' FROM payment_line WHERE id = :id"
    )
    async with database_of(client).sessionmaker() as session:
        with pytest.raises(IntegrityError, match="uq_payment_line_entitlement_live"):
            await session.execute(copy, {"id": line["id"]})


async def test_a_sealed_batch_exports_csv_with_bom_header_and_control_trailer(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    first = await entitlement(client, "PE000001")
    second = await entitlement(client, "PE000002", region=QINZHOU, unit=TIANSHUI)
    made = (await make_batch(client, province(bearer))).json()
    early = await client.get(f"{BATCHES}/{made['id']}/export.csv", headers=province(bearer))
    assert early.status_code == 409 and early.json()["code"] == "payment_batch_status_conflict"
    no_version = await client.post(
        f"{BATCHES}/{made['id']}/seal", json={}, headers=province(bearer)
    )
    assert no_version.status_code == 409 and no_version.json()["code"] == "version_required"

    sealed = await client.post(
        f"{BATCHES}/{made['id']}/seal",
        json={},
        headers={**province(bearer), "If-Match": f'"{made["version"]}"'},
    )
    assert sealed.status_code == 200, sealed.text
    batch = sealed.json()
    assert batch["status"] == "sealed" and batch["sealed_by"]
    twice = await client.post(
        f"{BATCHES}/{made['id']}/seal", json={"version": batch["version"]}, headers=province(bearer)
    )
    assert twice.status_code == 409 and twice.json()["code"] == "payment_batch_status_conflict"

    exported = await client.get(
        f"{BATCHES}/{made['id']}/export.csv",
        headers=bearer("agency_system", region="620000", scopes=("funding:read",)),
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["line_no", "line_id", "entitlement_id"]
    assert [row[2] for row in rows[1:-1]] == sorted([first, second])
    assert [row[8] for row in rows[1:-1]] == [str(30 * WAN)] * 2
    assert rows[1][9] == "300000.00"
    assert rows[-1][0] == "TOTAL" and rows[-1][8] == str(60 * WAN) and rows[-1][10] == "2"

    as_json = await client.get(f"{BATCHES}/{made['id']}", headers=province(bearer))
    assert as_json.json()["lines"] == batch["lines"]
    assert as_json.headers["etag"] == f'"{batch["version"]}"'


async def test_a_withdrawn_draft_gives_its_entitlements_back_to_the_next_batch(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await funded(client, bearer)
    db = database_of(client)
    made = await entitlement(client, "PW000001")
    draft = (await make_batch(client, province(bearer))).json()
    withdrawn = await client.post(
        f"{BATCHES}/{draft['id']}/withdraw", json={"version": 1}, headers=province(bearer)
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert [line["status"] for line in withdrawn.json()["lines"]] == ["withdrawn"]
    assert await status_of(db, made) == "approved"
    again = await make_batch(client, province(bearer))
    assert again.status_code == 201
    assert [line["entitlement_id"] for line in again.json()["lines"]] == [made]
    late = await client.post(
        f"{BATCHES}/{draft['id']}/withdraw", json={"version": 2}, headers=province(bearer)
    )
    assert late.status_code == 409 and late.json()["code"] == "payment_batch_status_conflict"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"fund_code": "Bad Code"},
        {"fund_code": "sme-development-fund", "max_lines": 0},
        {"fund_code": "sme-development-fund", "max_lines": 1001},
        {"fund_code": "sme-development-fund", "region": "62010"},
        {"fund_code": "sme-development-fund", "payee_kind": "bank"},
        {"fund_code": "sme-development-fund", "extra": 1},
    ],
)
async def test_a_bad_batch_request_is_a_problem_and_changes_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory, body: dict[str, object]
) -> None:
    await funded(client, bearer)
    made = await entitlement(client, "PX000001")
    response = await client.post(BATCHES, json=body, headers=province(bearer))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await status_of(database_of(client), made) == "approved"
