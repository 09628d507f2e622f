"""The entitlements API: reads within the caller's region (an enterprise: its own), the
explanation and history, cancellation by an officer with the version, and problem+json for
every bad input, changing nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from services.funding.tests.entitlement_support import (
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    URL,
    WAN,
    credit,
    database_of,
    entitlements_of,
    flags,
    grant,
    granted,
    known_enterprise,
)
from sme_common.testing.plugin import TokenFactory


async def lanzhou_and_tianshui(client: httpx.AsyncClient) -> tuple[str, str]:
    """An enterprise with a 30万 entitlement in 城关区 (兰州), another in 秦州区 (天水)."""
    db = database_of(client)
    lanzhou = await known_enterprise(db, "AP000001")
    tianshui = await known_enterprise(db, "AP000002", region=QINZHOU, unit=TIANSHUI)
    await grant(db, granted(lanzhou, "cert_ap01"))
    await grant(db, granted(tianshui, "cert_ap02"))
    return lanzhou, tianshui


async def ids(client: httpx.AsyncClient, headers: dict[str, str], query: str = "") -> list[str]:
    response = await client.get(f"{URL}/entitlements{query}", headers=headers)
    assert response.status_code == 200, response.text
    return [item["uscc"] for item in response.json()["items"]]


async def test_each_caller_lists_the_entitlements_of_its_region_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou, tianshui = await lanzhou_and_tianshui(client)
    both = sorted([lanzhou, tianshui])
    cases: list[tuple[dict[str, str], list[str]]] = [
        (bearer("province_officer", region="620000"), both),
        (bearer("platform_admin"), both),
        (bearer("agency_system", region="620000", scopes=("funding:read",)), both),
        (bearer("city_officer", region=LANZHOU), [lanzhou]),
        (bearer("city_officer", region=TIANSHUI), [tianshui]),
        (bearer("county_officer", region="620102"), [lanzhou]),
        (bearer("county_officer", region="620103"), []),
        (bearer("enterprise", uscc=lanzhou), [lanzhou]),
        (bearer("enterprise", uscc=tianshui), [tianshui]),
    ]
    for headers, expected in cases:
        assert sorted(await ids(client, headers)) == expected, headers


async def test_roles_without_the_read_scope_or_outside_funding_are_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    for headers in (
        bearer("agency_system", region="620000", scopes=("registry:read",)),
        bearer("bank", region="620000", scopes=("funding:read",)),
        bearer("expert", region="620000"),
        bearer("hotline", region="620000", scopes=("funding:read",)),
    ):
        response = await client.get(f"{URL}/entitlements", headers=headers)
        assert response.status_code == 403, response.text
    assert (await client.get(f"{URL}/entitlements")).status_code == 401


async def test_one_entitlement_shows_its_explanation_and_history_to_those_who_may_see_it(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou, _ = await lanzhou_and_tianshui(client)
    [entitlement] = await entitlements_of(database_of(client), lanzhou)
    path = f"{URL}/entitlements/{entitlement.id}"
    read = await client.get(path, headers=bearer("city_officer", region=LANZHOU))
    assert read.status_code == 200, read.text
    assert read.headers["etag"] == '"1"'
    body = read.json()
    assert (body["amount_fen"], body["status"], body["policy_code"]) == (
        30 * WAN,
        "pending_approval",
        "GS-ZJTX-PROV-FIRST",
    )
    assert body["explanation"][0]["message_zh"]
    assert [(s["from_status"], s["to_status"]) for s in body["history"]] == [
        (None, "pending_approval")
    ]
    assert (await client.get(path, headers=bearer("enterprise", uscc=lanzhou))).status_code == 200
    not_modified = await client.get(
        path, headers={**bearer("city_officer", region=LANZHOU), "If-None-Match": '"1"'}
    )
    assert not_modified.status_code == 304
    for outsider in (
        bearer("city_officer", region=TIANSHUI),
        bearer("county_officer", region="620103"),
        bearer("enterprise", uscc=_other_uscc()),
    ):
        hidden = await client.get(path, headers=outsider)
        assert hidden.status_code == 404, hidden.text
        assert hidden.json()["code"] == "entitlement_not_found"
    unknown = await client.get(
        f"{URL}/entitlements/ent_0000000000000000", headers=bearer("platform_admin")
    )
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def _other_uscc() -> str:
    from sme_common.ids import make_uscc

    return make_uscc(region="620102", body="AP000099")


async def test_filters_narrow_the_list_and_the_cursor_pages_through_it(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou, tianshui = await lanzhou_and_tianshui(client)
    db = database_of(client)
    await grant(
        db,
        granted(
            lanzhou, "cert_ap03", tier="little_giant", level="national", issued_on=date(2026, 6, 2)
        ),
    )
    province = bearer("province_officer", region="620000")
    assert sorted(await ids(client, province, f"?region={TIANSHUI}")) == [tianshui]
    assert await ids(client, province, "?policy_code=GS-XJR-NATIONAL") == [lanzhou]
    assert sorted(await ids(client, province, f"?uscc={lanzhou}")) == [lanzhou, lanzhou]
    assert await ids(client, province, "?year=2025") == []
    assert len(await ids(client, province, "?status=pending_approval&year=2026")) == 3
    assert await ids(client, province, "?status=blocked") == []
    assert await ids(client, province, "?certificate_id=cert_ap02") == [tianshui]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await client.get(f"{URL}/entitlements{query}", headers=province)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 3 and seen == sorted(seen)


@pytest.mark.parametrize(
    "query",
    [
        "?status=granted",
        "?year=1999",
        "?year=abc",
        "?region=62",
        "?uscc=91620100MA74XXXX1X",
        "?policy_code=gs%20zjtx",
        "?cursor=not-a-cursor",
        "?limit=0",
        "?unknown=1",
    ],
)
async def test_bad_filters_are_422_problems(
    client: httpx.AsyncClient, bearer: TokenFactory, query: str
) -> None:
    response = await client.get(
        f"{URL}/entitlements{query}", headers=bearer("province_officer", region="620000")
    )
    assert response.status_code == 422, (query, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"]


async def test_an_enterprise_reads_its_own_entitlements_and_no_other_enterprise(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou, tianshui = await lanzhou_and_tianshui(client)
    own = await client.get(
        f"{URL}/enterprises/{lanzhou}/entitlements", headers=bearer("enterprise", uscc=lanzhou)
    )
    assert own.status_code == 200, own.text
    assert [item["uscc"] for item in own.json()["items"]] == [lanzhou]
    other = await client.get(
        f"{URL}/enterprises/{tianshui}/entitlements", headers=bearer("enterprise", uscc=lanzhou)
    )
    assert other.status_code == 404
    assert other.json()["code"] == "enterprise_not_found"
    outside = await client.get(
        f"{URL}/enterprises/{tianshui}/entitlements",
        headers=bearer("city_officer", region=LANZHOU),
    )
    assert outside.status_code == 404
    inside = await client.get(
        f"{URL}/enterprises/{tianshui}/entitlements",
        headers=bearer("city_officer", region=TIANSHUI),
    )
    assert [item["uscc"] for item in inside.json()["items"]] == [tianshui]


async def cancel(
    client: httpx.AsyncClient, entitlement_id: str, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(
        f"{URL}/entitlements/{entitlement_id}/cancel",
        headers=headers,
        json={"reason": "企业已注销", **body},
    )


async def test_an_officer_cancels_a_pending_entitlement_with_its_version_once(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou, _ = await lanzhou_and_tianshui(client)
    db = database_of(client)
    [entitlement] = await entitlements_of(db, lanzhou)
    city = bearer("city_officer", region=LANZHOU, subject="officer-lz")

    missing = await cancel(client, entitlement.id, city)
    assert (missing.status_code, missing.json()["code"]) == (409, "version_required")
    stale = await cancel(client, entitlement.id, city, version=7)
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    assert stale.json()["current_version"] == 1
    mismatch = await client.post(
        f"{URL}/entitlements/{entitlement.id}/cancel",
        headers={**city, "If-Match": '"1"'},
        json={"reason": "x", "version": 2},
    )
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "if_match_mismatch")
    [unchanged] = await entitlements_of(db, lanzhou)
    assert (unchanged.status, unchanged.version) == ("pending_approval", 1)

    done = await client.post(
        f"{URL}/entitlements/{entitlement.id}/cancel",
        headers={**city, "If-Match": '"1"'},
        json={"reason": "企业已注销"},
    )
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"2"'
    body = done.json()
    assert (body["status"], body["version"]) == ("cancelled", 2)
    assert body["history"][-1] == {
        "from_status": "pending_approval",
        "to_status": "cancelled",
        "actor": "officer-lz",
        "at": body["history"][-1]["at"],
        "remarks": "企业已注销",
    }
    again = await cancel(client, entitlement.id, city, version=2)
    assert (again.status_code, again.json()["code"]) == (409, "entitlement_status_conflict")


async def test_a_blocked_entitlement_may_be_cancelled_a_not_payable_one_may_not(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    uscc = await known_enterprise(db, "AP000005")
    await credit(db, flags(uscc, "flag_b", "serious_dishonesty", "raised", ["serious_dishonesty"]))
    await grant(db, granted(uscc, "cert_b1", issued_on=date(2023, 6, 1)))
    await grant(db, granted(uscc, "cert_b2", issued_on=date(2026, 6, 1)))
    blocked, zero = await entitlements_of(db, uscc)
    assert (blocked.status, zero.status) == ("blocked", "not_payable")
    province = bearer("province_officer", region="620000")
    assert (await cancel(client, blocked.id, province, version=1)).status_code == 200
    refused = await cancel(client, zero.id, province, version=1)
    assert (refused.status_code, refused.json()["code"]) == (409, "entitlement_status_conflict")


async def test_who_may_cancel(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    lanzhou, _ = await lanzhou_and_tianshui(client)
    [entitlement] = await entitlements_of(database_of(client), lanzhou)
    for headers, status in (
        (bearer("enterprise", uscc=lanzhou), 403),
        (bearer("county_officer", region="620102"), 403),
        (bearer("agency_system", region="620000", scopes=("funding:read",)), 403),
        (bearer("city_officer", region=TIANSHUI), 404),
    ):
        response = await cancel(client, entitlement.id, headers, version=1)
        assert response.status_code == status, (headers, response.text)
    admin = await cancel(client, entitlement.id, bearer("platform_admin"), version=1)
    assert admin.status_code == 200, admin.text


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 1001},
        {"reason": "ok", "version": 0},
        {"reason": "ok", "version": "one"},
        {"reason": "ok", "extra": 1},
        {"reason": "a\u0000b"},
    ],
)
async def test_bad_cancellations_are_problems_and_change_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory, body: dict[str, Any]
) -> None:
    lanzhou, _ = await lanzhou_and_tianshui(client)
    db = database_of(client)
    [entitlement] = await entitlements_of(db, lanzhou)
    response = await client.post(
        f"{URL}/entitlements/{entitlement.id}/cancel",
        headers=bearer("province_officer", region="620000"),
        json=body,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [unchanged] = await entitlements_of(db, lanzhou)
    assert (unchanged.status, unchanged.version) == ("pending_approval", 1)
