"""The approval chain by amount: who takes which step, maker ≠ checker, optimistic locking, the
final approval committing the budget (or refused, changing nothing), withdrawal releasing it,
and retried steps acting once."""

from __future__ import annotations

import httpx
import pytest

from services.funding.tests.approval_support import (
    FUND_CODE,
    Officers,
    approval,
    approve_through,
    approved_events,
    certificate_entitlement,
    commitment,
    entitlement_now,
    fund_with_allocation,
    ledger,
    step,
    step_count,
    stored_entitlement,
)
from services.funding.tests.entitlement_support import LANZHOU, TIANSHUI, URL, WAN, database_of
from sme_common.testing.plugin import TokenFactory


@pytest.fixture
def officers(bearer: TokenFactory) -> Officers:
    return Officers(bearer)


async def test_an_award_up_to_50_wan_needs_the_city_then_the_province(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    await fund_with_allocation(client, officers, 100 * WAN)
    entitlement = await certificate_entitlement(client, "AA000001")
    assert entitlement.amount_fen == 30 * WAN
    before = await approval(client, officers.city, entitlement.id)
    assert [s["role"] for s in before["chain"]] == ["city_officer", "province_officer"]
    assert before["state"] == "not_started" and before["next_step"]["position"] == 1

    first = await step(client, officers.city, entitlement.id, version=before["version"])
    assert first.status_code == 200, first.text
    assert first.json()["next_step"]["role"] == "province_officer"
    assert first.json()["entitlement_status"] == "pending_approval"
    assert await commitment(db, entitlement.id) is None  # not before the final approval

    last = await step(client, officers.province, entitlement.id, version=first.json()["version"])
    assert last.status_code == 200, last.text
    body = last.json()
    assert body["entitlement_status"] == "approved" and body["state"] == "approved"
    assert body["next_step"] is None
    assert [(s["position"], s["action"], s["actor"]) for s in body["steps"]] == [
        (1, "approve", "city:lanzhou:zhang"),
        (2, "approve", "prov:wang"),
    ]
    committed = await commitment(db, entitlement.id)
    assert committed is not None
    assert (committed.amount_fen, committed.fund_code, committed.region_code) == (
        30 * WAN,
        FUND_CODE,
        LANZHOU,
    )
    report = await ledger(db)
    assert report.ok, report.as_dict()
    events = await approved_events(db)
    assert len(events) == 1
    assert events[0]["topic"] == "funding.entitlement"
    assert events[0]["entitlement_id"] == entitlement.id
    assert events[0]["amount_fen"] == 30 * WAN
    history = await client.get(f"{URL}/entitlements/{entitlement.id}", headers=officers.city)
    assert [h["to_status"] for h in history.json()["history"]] == [
        "pending_approval",
        "pending_approval",
        "approved",
    ]


@pytest.mark.parametrize(("amount_fen", "steps"), [(50 * WAN, 2), (50 * WAN + 1, 3)])
async def test_the_chain_s_length_follows_the_amount_threshold(
    client: httpx.AsyncClient, officers: Officers, amount_fen: int, steps: int
) -> None:
    entitlement = await stored_entitlement(client, amount_fen)
    read = await approval(client, officers.province, entitlement.id)
    assert len(read["chain"]) == steps


async def test_a_large_award_needs_a_second_provincial_sign_off_by_another_person(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    await fund_with_allocation(client, officers, 1000 * WAN)
    entitlement = await stored_entitlement(client, 200 * WAN)
    await approve_through(client, entitlement.id, [officers.city, officers.province])
    read = await approval(client, officers.province, entitlement.id)
    assert read["entitlement_status"] == "pending_approval"
    assert read["next_step"]["name_zh"] == "厅领导签批"
    assert await commitment(db, entitlement.id) is None

    again = await step(client, officers.province, entitlement.id, version=read["version"])
    assert again.status_code == 403, again.text
    assert again.json()["code"] == "maker_checker_violation"

    final = await step(client, officers.leader, entitlement.id, version=read["version"])
    assert final.status_code == 200, final.text
    assert final.json()["entitlement_status"] == "approved"
    assert [s["position"] for s in final.json()["steps"]] == [1, 2, 3]
    committed = await commitment(db, entitlement.id)
    assert committed is not None and committed.amount_fen == 200 * WAN
    assert (await ledger(db)).ok


async def test_the_maker_of_an_entitlement_or_of_an_earlier_step_never_takes_a_later_one(
    client: httpx.AsyncClient, officers: Officers, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await fund_with_allocation(client, officers, 100 * WAN)
    made = await stored_entitlement(client, 10 * WAN, made_by="city:lanzhou:zhang")
    refused = await step(client, officers.city, made.id, version=1)
    assert refused.status_code == 403 and refused.json()["code"] == "maker_checker_violation"
    assert await step_count(db, made.id) == 0

    entitlement = await certificate_entitlement(client, "AA000002")
    first = await step(client, officers.city, entitlement.id, version=entitlement.version)
    assert first.status_code == 200, first.text
    # the same person, now with a province token, may not take the province's step
    same_person = bearer("province_officer", region="620000", subject="city:lanzhou:zhang")
    second = await step(client, same_person, entitlement.id, version=first.json()["version"])
    assert second.status_code == 403, second.text
    assert second.json()["code"] == "maker_checker_violation"
    after = await entitlement_now(db, entitlement.id)
    assert (after.status, after.version) == ("pending_approval", first.json()["version"])
    # nor does it show in their queue
    queue = await client.get(f"{URL}/approvals/queue", headers=same_person)
    assert entitlement.id not in [i["entitlement_id"] for i in queue.json()["items"]]


async def test_a_step_is_taken_only_by_its_role_in_the_entitlement_s_region(
    client: httpx.AsyncClient, officers: Officers, bearer: TokenFactory
) -> None:
    db = database_of(client)
    entitlement = await certificate_entitlement(client, "AA000003")
    cases = [
        (bearer("city_officer", region=TIANSHUI), 404, "entitlement_not_found"),
        (officers.province, 403, "approval_role_mismatch"),
        (bearer("county_officer", region="620102"), 403, "role_forbidden"),
        (bearer("platform_admin"), 403, "role_forbidden"),
        (bearer("enterprise", uscc=entitlement.uscc), 403, "role_forbidden"),
        (bearer("province_officer", region="520000"), 404, "entitlement_not_found"),
    ]
    for headers, status, code in cases:
        response = await step(client, headers, entitlement.id, version=1)
        assert (response.status_code, response.json()["code"]) == (status, code), headers
    first = await step(client, officers.city, entitlement.id, version=1)
    assert first.status_code == 200
    wrong = await step(client, officers.city_other, entitlement.id, version=2)
    assert (wrong.status_code, wrong.json()["code"]) == (403, "approval_role_mismatch")
    assert await step_count(db, entitlement.id) == 1


async def test_a_stale_or_missing_version_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    entitlement = await certificate_entitlement(client, "AA000004")
    first = await step(client, officers.city, entitlement.id, version=1)
    assert first.status_code == 200
    stale = await step(client, officers.province, entitlement.id, version=1)
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    missing = await step(client, officers.province, entitlement.id, version=None)
    assert (missing.status_code, missing.json()["code"]) == (409, "version_required")
    by_etag = await client.post(
        f"{URL}/entitlements/{entitlement.id}/approval/steps",
        json={"action": "approve"},
        headers={**officers.province, "If-Match": '"1"'},
    )
    assert (by_etag.status_code, by_etag.json()["code"]) == (409, "version_conflict")
    assert await step_count(db, entitlement.id) == 1
    assert (await entitlement_now(db, entitlement.id)).version == 2


async def test_a_final_approval_the_budget_cannot_take_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    await fund_with_allocation(client, officers, 20 * WAN)
    entitlement = await certificate_entitlement(client, "AA000005")
    first = await step(client, officers.city, entitlement.id, version=1)
    version = first.json()["version"]
    refused = await step(client, officers.province, entitlement.id, version=version, key="k-1")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "budget_exhausted"
    assert refused.headers["content-type"].startswith("application/problem+json")
    after = await entitlement_now(db, entitlement.id)
    assert (after.status, after.version) == ("pending_approval", version)
    assert await step_count(db, entitlement.id) == 1
    assert await commitment(db, entitlement.id) is None
    assert await approved_events(db) == []
    assert (await ledger(db)).ok
    read = await approval(client, officers.province, entitlement.id)
    assert read["next_step"]["position"] == 2 and read["state"] == "in_progress"


async def test_without_an_allocation_the_final_approval_is_refused(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    entitlement = await certificate_entitlement(client, "AA000006")
    first = await step(client, officers.city, entitlement.id, version=1)
    refused = await step(client, officers.province, entitlement.id, version=first.json()["version"])
    assert refused.status_code == 404, refused.text
    assert refused.json()["code"] == "fund_not_found"
    assert (await entitlement_now(database_of(client), entitlement.id)).status == "pending_approval"


async def test_withdrawing_an_approval_cancels_the_entitlement_and_releases_its_budget(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    await fund_with_allocation(client, officers, 30 * WAN)
    entitlement = await certificate_entitlement(client, "AA000007")
    last = await approve_through(client, entitlement.id, [officers.city, officers.province])
    version = last.json()["version"]
    # the entitlements module's cancel refuses an approved one: it goes through withdrawal
    cancel = await client.post(
        f"{URL}/entitlements/{entitlement.id}/cancel",
        json={"reason": "重复", "version": version},
        headers=officers.province,
    )
    assert (cancel.status_code, cancel.json()["code"]) == (409, "entitlement_status_conflict")
    # the budget is full: another 30万 cannot be approved
    other = await certificate_entitlement(client, "AA000008")
    first = await step(client, officers.city, other.id, version=1)
    full = await step(client, officers.province, other.id, version=first.json()["version"])
    assert full.json()["code"] == "budget_exhausted"

    withdrawn = await client.post(
        f"{URL}/entitlements/{entitlement.id}/approval/withdrawal",
        json={"remarks": "企业已注销", "version": version},
        headers=officers.leader,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["entitlement_status"] == "cancelled"
    assert withdrawn.json()["state"] == "withdrawn"
    released = await commitment(db, entitlement.id)
    assert released is not None and released.status == "released"
    assert (await ledger(db)).ok
    # released budget is available again
    retry = await step(client, officers.province, other.id, version=first.json()["version"])
    assert retry.status_code == 200, retry.text
    again = await client.post(
        f"{URL}/entitlements/{entitlement.id}/approval/withdrawal",
        json={"remarks": "再次", "version": withdrawn.json()["version"]},
        headers=officers.leader,
    )
    assert (again.status_code, again.json()["code"]) == (409, "approval_not_withdrawable")
    city = await client.post(
        f"{URL}/entitlements/{other.id}/approval/withdrawal",
        json={"remarks": "x", "version": 1},
        headers=officers.city,
    )
    assert city.status_code == 403


async def test_a_retried_step_with_the_same_idempotency_key_acts_once(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    entitlement = await certificate_entitlement(client, "AA000009")
    first = await step(client, officers.city, entitlement.id, version=1, key="step-1")
    again = await step(client, officers.city, entitlement.id, version=1, key="step-1")
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    assert await step_count(db, entitlement.id) == 1
    assert (await entitlement_now(db, entitlement.id)).version == 2
    other_body = await step(
        client, officers.city, entitlement.id, "return", version=1, remarks="x", key="step-1"
    )
    assert (other_body.status_code, other_body.json()["code"]) == (409, "idempotency_key_reused")


async def test_a_return_starts_a_new_round_and_a_rejection_cancels(
    client: httpx.AsyncClient, officers: Officers
) -> None:
    db = database_of(client)
    entitlement = await certificate_entitlement(client, "AA000010")
    first = await step(client, officers.city, entitlement.id, version=1)
    silent = await step(client, officers.province, entitlement.id, "return", version=2)
    assert (silent.status_code, silent.json()["code"]) == (422, "remarks_required")
    back = await step(
        client, officers.province, entitlement.id, "return", version=2, remarks="缺少材料"
    )
    assert back.status_code == 200, back.text
    body = back.json()
    assert body["round"] == 2 and body["next_step"]["position"] == 1
    assert body["entitlement_status"] == "pending_approval"
    # the same 市州 officer checks again; the province officer who returned it decides again
    redo = await step(client, officers.city, entitlement.id, version=body["version"])
    assert redo.status_code == 200, redo.text
    rejected = await step(
        client,
        officers.province,
        entitlement.id,
        "reject",
        version=redo.json()["version"],
        remarks="不符合条件",
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["entitlement_status"] == "cancelled"
    assert rejected.json()["state"] == "rejected"
    assert [(s["round"], s["action"]) for s in rejected.json()["steps"]] == [
        (1, "approve"),
        (1, "return"),
        (2, "approve"),
        (2, "reject"),
    ]
    late = await step(client, officers.leader, entitlement.id, version=rejected.json()["version"])
    assert (late.status_code, late.json()["code"]) == (409, "approval_not_pending")
    assert await commitment(db, entitlement.id) is None
    assert first.status_code == 200


async def test_the_queue_shows_each_officer_what_they_may_act_on_next(
    client: httpx.AsyncClient, officers: Officers, bearer: TokenFactory
) -> None:
    one = await certificate_entitlement(client, "AA000011")
    two = await certificate_entitlement(client, "AA000012")
    tianshui = bearer("city_officer", region=TIANSHUI)

    async def queue(headers: dict[str, str], query: str = "") -> list[str]:
        response = await client.get(f"{URL}/approvals/queue{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["entitlement_id"] for item in response.json()["items"]]

    assert await queue(officers.city) == sorted([one.id, two.id])
    assert await queue(officers.province) == []
    assert await queue(tianshui) == []
    await step(client, officers.city, one.id, version=1)
    assert await queue(officers.city) == [two.id]
    assert await queue(officers.city_other) == [two.id]
    assert await queue(officers.province) == [one.id]

    page = await client.get(f"{URL}/approvals/queue?limit=1", headers=officers.city_other)
    assert page.json()["items"][0]["next_step"]["position"] == 1
    await step(client, officers.city_other, two.id, version=1)
    assert await queue(officers.province) == sorted([one.id, two.id])
    first_page = await client.get(f"{URL}/approvals/queue?limit=1", headers=officers.province)
    cursor = first_page.json()["next_cursor"]
    assert cursor is not None
    rest = await queue(officers.province, f"?limit=1&cursor={cursor}")
    assert [first_page.json()["items"][0]["entitlement_id"], *rest] == sorted([one.id, two.id])


async def test_reading_an_approval_is_for_officers_in_the_region(
    client: httpx.AsyncClient, officers: Officers, bearer: TokenFactory
) -> None:
    entitlement = await certificate_entitlement(client, "AA000013")
    path = f"{URL}/entitlements/{entitlement.id}/approval"
    assert (await client.get(path)).status_code == 401
    assert (
        await client.get(path, headers=bearer("city_officer", region=TIANSHUI))
    ).status_code == 404
    assert (
        await client.get(path, headers=bearer("county_officer", region="620102"))
    ).status_code == 200
    enterprise = bearer("enterprise", uscc=entitlement.uscc)
    assert (await client.get(path, headers=enterprise)).status_code == 403
    missing = await client.get(
        f"{URL}/entitlements/ent_0000000000000000/approval", headers=officers.city
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "entitlement_not_found")
