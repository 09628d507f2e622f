"""Applications: made for an enterprise in a batch from the facts certification keeps and declared
values, self-assessed before filing, filed within the window, and taken along the review chain:
county pre-check → 市州 recommendation (within its cap) → provincial review, with returns for
correction at every step. Every role acts only in its region; illegal steps change nothing."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from services.certification.tests.support import (
    CHENGGUAN,
    LANZHOU,
    LANZHOU_NEW_AREA,
    QILIHE,
    QINZHOU,
    TIANSHUI,
    URL,
    act,
    deliver,
    file_facts,
    flag_event,
    known_enterprise,
    make_application,
    make_batch,
    outbox_types,
    size_event,
)
from sme_certification.facts.consumers import enterprise_facts_consumer
from sme_common.clock import FixedClock
from sme_common.db import Database
from sme_common.testing.plugin import TokenFactory

Headers = dict[str, str]


def database(client: httpx.AsyncClient) -> Database:
    db: Database = client.app.state.database  # type: ignore[attr-defined]
    return db


@pytest.fixture
def province(bearer: TokenFactory) -> Headers:
    return bearer("province_officer", region="620000")


@pytest.fixture
def lanzhou(bearer: TokenFactory) -> Headers:
    return bearer("city_officer", region=LANZHOU)


@pytest.fixture
def chengguan(bearer: TokenFactory) -> Headers:
    return bearer("county_officer", region=CHENGGUAN)


@pytest.fixture
def qilihe(bearer: TokenFactory) -> Headers:
    return bearer("county_officer", region=QILIHE)


@pytest.fixture
def tianshui(bearer: TokenFactory) -> Headers:
    return bearer("city_officer", region=TIANSHUI)


async def read(client: httpx.AsyncClient, headers: Headers, app_id: str) -> dict[str, Any]:
    response = await client.get(f"{URL}/applications/{app_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def submitted(
    client: httpx.AsyncClient, headers: Headers, batch_id: str, uscc: str
) -> dict[str, Any]:
    application = await make_application(client, headers, batch_id, uscc)
    response = await client.post(
        f"{URL}/applications/{application['id']}/submit", headers=headers, json={"version": 1}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


# --- making one ---------------------------------------------------------------------------------


async def test_an_officer_makes_an_application_for_an_enterprise_of_its_region(
    client: httpx.AsyncClient, province: Headers, chengguan: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CA000001")
    batch = await make_batch(client, province)
    application = await make_application(
        client,
        chengguan,
        batch["id"],
        uscc,
        declared={"rd_institution_level": "provincial", "quality_scores": {"2026": "63.5"}},
    )
    assert application["status"] == "draft" and application["version"] == 1
    assert application["tier"] == "specialised" and application["level"] == "provincial"
    assert (application["region_code"], application["reporting_unit_code"]) == (
        CHENGGUAN,
        LANZHOU,
    )
    assert application["declared"]["quality_scores"] == {"2026": "63.5"}
    again = await client.post(
        f"{URL}/applications", headers=chengguan, json={"batch_id": batch["id"], "uscc": uscc}
    )
    assert again.status_code == 409 and again.json()["code"] == "application_exists"


async def test_an_enterprise_outside_the_region_or_a_missing_batch_is_a_404(
    client: httpx.AsyncClient, province: Headers, qilihe: Headers, tianshui: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CA000002")
    batch = await make_batch(client, province)
    for headers in (qilihe, tianshui):
        refused = await client.post(
            f"{URL}/applications", headers=headers, json={"batch_id": batch["id"], "uscc": uscc}
        )
        assert refused.status_code == 404 and refused.json()["code"] == "enterprise_not_found"
    missing = await client.post(
        f"{URL}/applications", headers=province, json={"batch_id": "batch_none", "uscc": uscc}
    )
    assert missing.status_code == 404 and missing.json()["code"] == "batch_not_found"
    listed = await client.get(f"{URL}/applications", headers=province)
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("declared", "status"),
    [
        ({"awards": [{"kind": "science_technology", "level": "galactic"}]}, 422),
        ({"market_share_ratio": "1.5"}, 422),
        ({"nonsense": True}, 422),
        ({"quality_scores": {"1999": "50"}}, 422),
    ],
)
async def test_declared_values_the_rules_cannot_read_are_refused(
    client: httpx.AsyncClient, province: Headers, declared: dict[str, Any], status: int
) -> None:
    uscc = await known_enterprise(database(client), "CA000003")
    batch = await make_batch(client, province)
    response = await client.post(
        f"{URL}/applications",
        headers=province,
        json={"batch_id": batch["id"], "uscc": uscc, "declared": declared},
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_no_application_in_a_closed_batch_nor_for_a_deregistered_enterprise(
    client: httpx.AsyncClient, province: Headers
) -> None:
    gone = await known_enterprise(database(client), "CA000004", status="deregistered")
    alive = await known_enterprise(database(client), "CA000005")
    batch = await make_batch(client, province)
    refused = await client.post(
        f"{URL}/applications", headers=province, json={"batch_id": batch["id"], "uscc": gone}
    )
    assert refused.status_code == 422 and refused.json()["code"] == "enterprise_not_operating"
    closed = await client.patch(
        f"{URL}/batches/{batch['id']}", headers=province, json={"status": "closed", "version": 2}
    )
    assert closed.status_code == 200
    late = await client.post(
        f"{URL}/applications", headers=province, json={"batch_id": batch["id"], "uscc": alive}
    )
    assert late.status_code == 422 and late.json()["code"] == "batch_closed"


@pytest.mark.parametrize(
    ("role", "region", "scopes", "status"),
    [
        ("expert", "620000", (), 403),
        ("bank", "620000", ("certification:write",), 403),
        ("agency_system", "620000", (), 403),  # without the write scope
        ("agency_system", "620000", ("certification:write",), 201),
    ],
)
async def test_who_may_make_an_application(
    client: httpx.AsyncClient,
    province: Headers,
    bearer: TokenFactory,
    role: str,
    region: str,
    scopes: tuple[str, ...],
    status: int,
) -> None:
    uscc = await known_enterprise(database(client), "CA000006")
    batch = await make_batch(client, province)
    response = await client.post(
        f"{URL}/applications",
        headers=bearer(role, region=region, scopes=scopes),
        json={"batch_id": batch["id"], "uscc": uscc},
    )
    assert response.status_code == status, response.text


# --- reading --------------------------------------------------------------------------------------


async def test_each_officer_reads_the_applications_of_its_region_only(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    qilihe: Headers,
    tianshui: Headers,
) -> None:
    db = database(client)
    in_chengguan = await known_enterprise(db, "CB000001")
    in_qilihe = await known_enterprise(db, "CB000002", region=QILIHE)
    in_tianshui = await known_enterprise(db, "CB000003", region=QINZHOU, unit=TIANSHUI)
    batch = await make_batch(client, province)
    made = {
        uscc: (await make_application(client, province, batch["id"], uscc))["id"]
        for uscc in (in_chengguan, in_qilihe, in_tianshui)
    }
    expected = {
        "province": (province, {in_chengguan, in_qilihe, in_tianshui}),
        "lanzhou": (lanzhou, {in_chengguan, in_qilihe}),
        "chengguan": (chengguan, {in_chengguan}),
        "qilihe": (qilihe, {in_qilihe}),
        "tianshui": (tianshui, {in_tianshui}),
    }
    for name, (headers, visible) in expected.items():
        listed = await client.get(f"{URL}/applications", headers=headers)
        assert {a["uscc"] for a in listed.json()["items"]} == visible, name
        for uscc, app_id in made.items():
            for path in ("", "/steps"):
                one = await client.get(f"{URL}/applications/{app_id}{path}", headers=headers)
                assert one.status_code == (200 if uscc in visible else 404), (name, path)
            assessed = await client.post(
                f"{URL}/applications/{app_id}/self-assessment", headers=headers
            )
            assert assessed.status_code == (200 if uscc in visible else 404), name


async def test_applications_page_with_a_cursor(
    client: httpx.AsyncClient, province: Headers
) -> None:
    batch = await make_batch(client, province)
    for n in range(3):
        uscc = await known_enterprise(database(client), f"CC00000{n}")
        await make_application(client, province, batch["id"], uscc)
    first = (await client.get(f"{URL}/applications?limit=2", headers=province)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await client.get(
        f"{URL}/applications", headers=province, params={"cursor": first["next_cursor"]}
    )
    assert len(rest.json()["items"]) == 1 and rest.json()["next_cursor"] is None
    bad = await client.get(f"{URL}/applications", headers=province, params={"cursor": "eyJ4IjoxfQ"})
    assert bad.status_code == 422 and bad.json()["code"] == "cursor_invalid"


# --- self-assessment ---------------------------------------------------------------------------


async def test_the_self_assessment_reads_the_registry_facts_and_the_declared_values(
    client: httpx.AsyncClient, province: Headers, chengguan: Headers
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "CD000001")
    await file_facts(
        db,
        uscc,
        2025,
        operating_revenue_fen=3_000_000_000,
        main_business_revenue_fen=2_850_000_000,
        rd_expense_fen=150_000_000,
        total_assets_fen=2_000_000_000,
        total_liabilities_fen=900_000_000,
        niche_market_years=5,
        ip_class1=2,
    )
    await deliver(db, enterprise_facts_consumer, size_event(uscc, "small", datetime.now(UTC)))
    batch = await make_batch(client, province)
    application = await make_application(
        client, chengguan, batch["id"], uscc, declared={"quality_scores": {"2026": "63.5"}}
    )
    response = await client.post(
        f"{URL}/applications/{application['id']}/self-assessment", headers=chengguan
    )
    assert response.status_code == 200, response.text
    explanation = response.json()
    assert explanation["rule_set"]["id"] == "national-2026-2"  # filed 2026-06-10
    assert explanation["rule_set"]["version"]
    assert explanation["outcome"] in ("passed", "failed", "undetermined")
    facts_read = {
        (fact["name"], fact["year"]): fact["value"]
        for criterion in explanation["criteria"]
        for check in criterion["checks"]
        for fact in check["facts"]
    }
    assert any(name == "operating_revenue_fen" and year == 2025 for name, year in facts_read)
    revenue = next(c for c in explanation["criteria"] if c["id"] == "specialised_revenue")
    assert revenue["result"] == "pass"  # 3000万 ≥ 1500万
    score = next(c for c in explanation["criteria"] if c["id"] == "specialised_quality_score")
    assert score["result"] == "pass"  # the declared 63.5 ≥ 50
    size = next(c for c in explanation["criteria"] if c["id"] == "sme_size_class")
    assert size["result"] == "pass"
    after = await read(client, chengguan, application["id"])
    assert after["version"] == 1 and after["status"] == "draft"  # nothing stored


async def test_a_credit_flag_from_registry_fails_the_self_assessment(
    client: httpx.AsyncClient, province: Headers
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "CD000002")
    event = flag_event(
        uscc, "flag_1", "raised", date(2026, 1, 5), active_flags=["abnormal_operations"]
    )
    await deliver(db, enterprise_facts_consumer, event)
    batch = await make_batch(client, province)
    application = await make_application(client, province, batch["id"], uscc)
    explanation = (
        await client.post(
            f"{URL}/applications/{application['id']}/self-assessment", headers=province
        )
    ).json()
    assert explanation["outcome"] == "failed"
    assert "abnormal_operations" in explanation["reasons"]


# --- filing -------------------------------------------------------------------------------------


async def test_an_application_is_filed_only_within_the_window_of_an_open_batch(
    client: httpx.AsyncClient, province: Headers, business_clock: FixedClock
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "CE000001")
    draft_batch = await make_batch(client, province, status="draft")
    application = await make_application(client, province, draft_batch["id"], uscc)
    path = f"{URL}/applications/{application['id']}/submit"
    not_open = await client.post(path, headers=province, json={"version": 1})
    assert not_open.status_code == 422 and not_open.json()["code"] == "filing_window_closed"
    opened = await client.patch(
        f"{URL}/batches/{draft_batch['id']}",
        headers=province,
        json={"status": "open", "version": 1},
    )
    assert opened.status_code == 200
    business_clock.at = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 1 July in Beijing: window over
    late = await client.post(path, headers=province, json={"version": 1})
    assert late.status_code == 422 and late.json()["code"] == "filing_window_closed"
    business_clock.at = datetime(2026, 5, 31, 15, 59, tzinfo=UTC)  # 23:59 on 31 May in Beijing
    early = await client.post(path, headers=province, json={"version": 1})
    assert early.status_code == 422
    assert (await read(client, province, application["id"]))["status"] == "draft"
    assert await outbox_types(db) == []
    business_clock.at = datetime(2026, 6, 30, 15, 59, tzinfo=UTC)  # 23:59 on the last day
    filed = await client.post(path, headers={**province, "If-Match": '"1"'}, json={})
    assert filed.status_code == 200, filed.text
    assert filed.json()["status"] == "submitted" and filed.json()["version"] == 2
    assert filed.json()["assessment_outcome"] in ("passed", "failed", "undetermined")
    assert await outbox_types(db) == ["certification.application.submitted.v1"]


async def test_filing_needs_the_current_version_and_happens_once(
    client: httpx.AsyncClient, province: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CE000002")
    batch = await make_batch(client, province)
    application = await make_application(client, province, batch["id"], uscc)
    path = f"{URL}/applications/{application['id']}/submit"
    missing = await client.post(path, headers=province, json={})
    assert missing.status_code == 409 and missing.json()["code"] == "version_required"
    stale = await client.post(path, headers=province, json={"version": 5})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    assert (await client.post(path, headers=province, json={"version": 1})).status_code == 200
    twice = await client.post(path, headers=province, json={"version": 2})
    assert twice.status_code == 409 and twice.json()["code"] == "transition_not_allowed"
    edit = await client.patch(
        f"{URL}/applications/{application['id']}",
        headers=province,
        json={"declared": {"domestic_market_rank": 2}, "version": 2},
    )
    assert edit.status_code == 409 and edit.json()["code"] == "transition_not_allowed"
    assert (await read(client, province, application["id"]))["version"] == 2


# --- the review chain ---------------------------------------------------------------------------


async def test_the_chain_county_city_province_with_its_events(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "CF000001")
    batch = await make_batch(client, province)
    application = await submitted(client, chengguan, batch["id"], uscc)
    checked = await act(client, chengguan, application, "approve_county_check")
    assert checked.status_code == 200, checked.text
    assert checked.json()["status"] == "county_checked"
    recommended = await act(client, lanzhou, checked.json(), "recommend")
    assert recommended.status_code == 200 and recommended.json()["status"] == "recommended"
    reviewed = await act(client, province, recommended.json(), "approve_provincial_review")
    assert reviewed.json()["status"] == "provincially_reviewed"
    assert reviewed.json()["version"] == 5
    steps = (
        await client.get(f"{URL}/applications/{application['id']}/steps", headers=province)
    ).json()["items"]
    assert [s["action"] for s in steps] == [
        "create",
        "submit",
        "approve_county_check",
        "recommend",
        "approve_provincial_review",
    ]
    assert steps[-1]["acted_by"] == "test:province_officer:620000"
    assert await outbox_types(db) == [
        "certification.application.submitted.v1",
        "certification.application.recommended.v1",
    ]


@pytest.mark.parametrize(
    ("status_actions", "actor", "action", "status", "code"),
    [
        ([], "lanzhou", "recommend", 409, "transition_not_allowed"),
        ([], "province", "approve_provincial_review", 409, "transition_not_allowed"),
        ([], "lanzhou", "approve_county_check", 403, "review_role_forbidden"),
        ([], "province", "approve_county_check", 403, "review_role_forbidden"),
        (["approve_county_check"], "chengguan", "recommend", 403, "review_role_forbidden"),
        (
            ["approve_county_check"],
            "chengguan",
            "approve_county_check",
            409,
            "transition_not_allowed",
        ),
        (["approve_county_check"], "chengguan", "return", 403, "review_role_forbidden"),
        (["approve_county_check", "recommend"], "lanzhou", "return", 403, "review_role_forbidden"),
        ([], "qilihe", "approve_county_check", 404, "application_not_found"),
        ([], "tianshui", "return", 404, "application_not_found"),
    ],
)
async def test_illegal_steps_are_refused_and_change_nothing(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    status_actions: list[str],
    actor: str,
    action: str,
    status: int,
    code: str,
) -> None:
    officers = {
        "province": bearer("province_officer", region="620000"),
        "lanzhou": bearer("city_officer", region=LANZHOU),
        "chengguan": bearer("county_officer", region=CHENGGUAN),
        "qilihe": bearer("county_officer", region=QILIHE),
        "tianshui": bearer("city_officer", region=TIANSHUI),
    }
    db = database(client)
    uscc = await known_enterprise(db, "CF000002")
    batch = await make_batch(client, officers["province"])
    application = await submitted(client, officers["chengguan"], batch["id"], uscc)
    by_action = {"approve_county_check": "chengguan", "recommend": "lanzhou"}
    for earlier in status_actions:
        application = (await act(client, officers[by_action[earlier]], application, earlier)).json()
    events_before = await outbox_types(db)
    response = await act(client, officers[actor], application, action, remarks={"awards": "补充"})
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    after = await read(client, officers["province"], application["id"])
    assert (after["status"], after["version"]) == (application["status"], application["version"])
    assert await outbox_types(db) == events_before


async def test_a_return_asks_for_corrections_by_field_and_the_corrected_application_goes_again(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    business_clock: FixedClock,
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "CG000001")
    batch = await make_batch(client, province)
    application = await submitted(client, chengguan, batch["id"], uscc)
    checked = (await act(client, chengguan, application, "approve_county_check")).json()
    no_remarks = await act(client, lanzhou, checked, "return")
    assert no_remarks.status_code == 422 and no_remarks.json()["code"] == "remarks_required"
    remarks = {"year_values": "请补充2025年Ⅰ类知识产权证明", "awards": "奖项证书不清晰"}
    returned = await act(client, lanzhou, checked, "return", remarks=remarks)
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert body["status"] == "returned" and body["correction_remarks"] == remarks
    # The window closed meanwhile: a correction asked for is still taken while the batch is open.
    business_clock.at = datetime(2026, 7, 20, 2, 0, tzinfo=UTC)
    corrected = await client.patch(
        f"{URL}/applications/{application['id']}",
        headers={**chengguan, "If-Match": f'"{body["version"]}"'},
        json={"declared": {"year_values": {"2025": {"ip_class1_own_top3": 4}}}},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.headers["ETag"] == f'"{body["version"] + 1}"'
    again = await client.post(
        f"{URL}/applications/{application['id']}/submit",
        headers=chengguan,
        json={"version": corrected.json()["version"]},
    )
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "submitted" and again.json()["correction_remarks"] is None
    types = await outbox_types(db)
    assert types == [
        "certification.application.submitted.v1",
        "certification.application.returned.v1",
        "certification.application.submitted.v1",
    ]
    steps = (
        await client.get(f"{URL}/applications/{application['id']}/steps", headers=province)
    ).json()["items"]
    assert steps[3]["action"] == "return" and steps[3]["remarks"] == remarks
    assert steps[3]["stage"] == "city_recommendation"
    assert [s["action"] for s in steps][-2:] == ["edit", "resubmit"]


async def test_the_province_returns_what_is_still_before_the_county(
    client: httpx.AsyncClient, province: Headers, chengguan: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CG000002")
    batch = await make_batch(client, province)
    application = await submitted(client, chengguan, batch["id"], uscc)
    returned = await act(client, province, application, "return", remarks={"honours": "过期"})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"


async def test_two_decisions_on_the_same_version_the_second_is_refused(
    client: httpx.AsyncClient, province: Headers, lanzhou: Headers, chengguan: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CH000001")
    batch = await make_batch(client, province)
    application = await submitted(client, chengguan, batch["id"], uscc)
    first = await act(client, chengguan, application, "approve_county_check")
    assert first.status_code == 200
    second = await act(client, lanzhou, application, "return", remarks={"awards": "补充"})
    assert second.status_code == 409 and second.json()["code"] == "version_conflict"
    assert second.json()["current_version"] == 3
    missing = await client.post(
        f"{URL}/applications/{application['id']}/decisions",
        headers=lanzhou,
        json={"action": "recommend"},
    )
    assert missing.status_code == 409 and missing.json()["code"] == "version_required"


async def test_a_city_level_enterprise_is_pre_checked_by_its_city(
    client: httpx.AsyncClient, province: Headers, bearer: TokenFactory
) -> None:
    new_area = bearer("city_officer", region=LANZHOU_NEW_AREA)
    uscc = await known_enterprise(
        database(client), "CH000002", region=LANZHOU_NEW_AREA, unit=LANZHOU_NEW_AREA
    )
    batch = await make_batch(client, province)
    application = await submitted(client, new_area, batch["id"], uscc)
    checked = await act(client, new_area, application, "approve_county_check")
    assert checked.status_code == 200 and checked.json()["status"] == "county_checked"
    recommended = await act(client, new_area, checked.json(), "recommend")
    assert recommended.status_code == 200


async def test_nothing_is_decided_in_a_closed_batch(
    client: httpx.AsyncClient, province: Headers, chengguan: Headers
) -> None:
    uscc = await known_enterprise(database(client), "CH000003")
    batch = await make_batch(client, province)
    application = await submitted(client, chengguan, batch["id"], uscc)
    await client.patch(
        f"{URL}/batches/{batch['id']}", headers=province, json={"status": "closed", "version": 2}
    )
    refused = await act(client, chengguan, application, "approve_county_check")
    assert refused.status_code == 422 and refused.json()["code"] == "batch_closed"


# --- caps and minimums ----------------------------------------------------------------------------


async def _recommend(
    client: httpx.AsyncClient,
    batch_id: str,
    uscc: str,
    county: Headers,
    city: Headers,
) -> httpx.Response:
    application = await submitted(client, county, batch_id, uscc)
    checked = (await act(client, county, application, "approve_county_check")).json()
    return await act(client, city, checked, "recommend")


async def test_a_city_cannot_recommend_beyond_its_cap_and_a_return_frees_a_place(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    tianshui: Headers,
    bearer: TokenFactory,
) -> None:
    db = database(client)
    batch = await make_batch(client, province, city_caps={LANZHOU: 1, TIANSHUI: 1})
    first = await _recommend(
        client, batch["id"], await known_enterprise(db, "CK000001"), chengguan, lanzhou
    )
    assert first.status_code == 200
    second_uscc = await known_enterprise(db, "CK000002")
    refused = await _recommend(client, batch["id"], second_uscc, chengguan, lanzhou)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "recommendation_cap_reached"
    listed = await client.get(f"{URL}/applications", headers=province, params={"uscc": second_uscc})
    assert listed.json()["items"][0]["status"] == "county_checked"
    # Another 市州's cap is its own.
    qinzhou = bearer("county_officer", region=QINZHOU)
    other = await known_enterprise(db, "CK000003", region=QINZHOU, unit=TIANSHUI)
    assert (await _recommend(client, batch["id"], other, qinzhou, tianshui)).status_code == 200
    # The province returns Lanzhou's recommended application: its place is free again.
    returned = await act(client, province, first.json(), "return", remarks={"awards": "补充"})
    assert returned.status_code == 200
    stuck = listed.json()["items"][0]
    assert (await act(client, lanzhou, stuck, "recommend")).status_code == 200
    report = await client.get(f"{URL}/batches/{batch['id']}/recommendations", headers=lanzhou)
    units = {u["reporting_unit_code"]: u for u in report.json()["units"]}
    assert units[LANZHOU]["recommended"] == 1 and units[LANZHOU]["remaining"] == 0


async def test_a_minimum_is_reported_against_and_never_refuses_more(
    client: httpx.AsyncClient, province: Headers, lanzhou: Headers, chengguan: Headers
) -> None:
    """Guizhou's 市州 recommend at least 20 a year (seed 003 五(一)): a floor, not a cap."""
    db = database(client)
    batch = await make_batch(client, province, city_minimums={LANZHOU: 1, TIANSHUI: 2})
    path = f"{URL}/batches/{batch['id']}/recommendations"
    before = {
        u["reporting_unit_code"]: u
        for u in (await client.get(path, headers=province)).json()["units"]
    }
    assert before[LANZHOU]["shortfall"] == 1 and before[TIANSHUI]["shortfall"] == 2
    for body in ("CJ000001", "CJ000002"):
        response = await _recommend(
            client, batch["id"], await known_enterprise(db, body), chengguan, lanzhou
        )
        assert response.status_code == 200, response.text
    after = {
        u["reporting_unit_code"]: u
        for u in (await client.get(path, headers=province)).json()["units"]
    }
    assert after[LANZHOU]["recommended"] == 2 and after[LANZHOU]["shortfall"] == 0
    assert after[LANZHOU]["cap"] is None and after[TIANSHUI]["shortfall"] == 2


# --- the enterprise files for itself -------------------------------------------------------------


async def test_an_enterprise_makes_files_and_corrects_its_own_application(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    bearer: TokenFactory,
) -> None:
    db = database(client)
    own = await known_enterprise(db, "EA000001")
    neighbour = await known_enterprise(db, "EA000002")
    enterprise = bearer("enterprise", uscc=own)
    batch = await make_batch(client, province)
    assert (await client.get(f"{URL}/batches", headers=enterprise)).status_code == 200
    other = await client.post(
        f"{URL}/applications", headers=enterprise, json={"batch_id": batch["id"], "uscc": neighbour}
    )
    assert other.status_code == 404 and other.json()["code"] == "enterprise_not_found"
    neighbours = await make_application(client, chengguan, batch["id"], neighbour)
    application = await make_application(
        client, enterprise, batch["id"], own, declared={"quality_scores": {"2026": "55"}}
    )
    assessed = await client.post(
        f"{URL}/applications/{application['id']}/self-assessment", headers=enterprise
    )
    assert assessed.status_code == 200 and assessed.json()["uscc"] == own
    listed = await client.get(f"{URL}/applications", headers=enterprise)
    assert [a["uscc"] for a in listed.json()["items"]] == [own]
    for path in ("", "/steps"):
        hidden = await client.get(
            f"{URL}/applications/{neighbours['id']}{path}", headers=enterprise
        )
        assert hidden.status_code == 404
    assert (
        await client.post(
            f"{URL}/applications/{neighbours['id']}/submit", headers=enterprise, json={"version": 1}
        )
    ).status_code == 404
    filed = await client.post(
        f"{URL}/applications/{application['id']}/submit", headers=enterprise, json={"version": 1}
    )
    assert filed.status_code == 200 and filed.json()["status"] == "submitted"
    self_approval = await act(client, enterprise, filed.json(), "approve_county_check")
    assert self_approval.status_code == 403 and self_approval.json()["code"] == "role_forbidden"
    returned = await act(
        client, chengguan, filed.json(), "return", remarks={"quality_scores": "附评价结果"}
    )
    corrected = await client.patch(
        f"{URL}/applications/{application['id']}",
        headers=enterprise,
        json={
            "declared": {"quality_scores": {"2026": "58"}},
            "version": returned.json()["version"],
        },
    )
    assert corrected.status_code == 200, corrected.text
    again = await client.post(
        f"{URL}/applications/{application['id']}/submit",
        headers=enterprise,
        json={"version": corrected.json()["version"]},
    )
    assert again.status_code == 200 and again.json()["status"] == "submitted"
    report = await client.get(f"{URL}/batches/{batch['id']}/recommendations", headers=enterprise)
    assert report.status_code == 403
    assert (
        await client.get(f"{URL}/enterprises/{own}/facts", headers=enterprise)
    ).status_code == 200
    assert (
        await client.get(f"{URL}/enterprises/{neighbour}/facts", headers=enterprise)
    ).status_code == 404


# --- evidence documents ---------------------------------------------------------------------------

PDF = b"%PDF-1.7\n% evidence\n" + bytes(range(256))


async def test_evidence_is_kept_with_its_metadata_while_the_application_can_change(
    client: httpx.AsyncClient,
    province: Headers,
    chengguan: Headers,
    qilihe: Headers,
    bearer: TokenFactory,
) -> None:
    uscc = await known_enterprise(database(client), "DA000001")
    enterprise = bearer("enterprise", uscc=uscc)
    batch = await make_batch(client, province)
    application = await make_application(client, enterprise, batch["id"], uscc)
    path = f"{URL}/applications/{application['id']}/documents"
    params = {"field": "awards", "filename": "省科技进步奖证书.pdf"}
    added = await client.post(
        path, headers={**enterprise, "Content-Type": "application/pdf"}, params=params, content=PDF
    )
    assert added.status_code == 201, added.text
    document = added.json()
    assert document["size_bytes"] == len(PDF)
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document["field"] == "awards" and document["uploaded_by"].startswith("test:enterprise")
    listed = await client.get(path, headers=chengguan)
    assert [d["id"] for d in listed.json()["items"]] == [document["id"]]
    content = await client.get(f"{path}/{document['id']}", headers=chengguan)
    assert content.status_code == 200 and content.content == PDF
    assert content.headers["content-type"] == "application/pdf"
    for headers in (
        qilihe,
        bearer("enterprise", uscc=await known_enterprise(database(client), "DA000002")),
    ):
        assert (await client.get(path, headers=headers)).status_code == 404
        assert (await client.get(f"{path}/{document['id']}", headers=headers)).status_code == 404
    missing = await client.get(f"{path}/doc_nothing", headers=chengguan)
    assert missing.status_code == 404 and missing.json()["code"] == "document_not_found"
    wrong = await client.post(
        path, headers={**enterprise, "Content-Type": "text/plain"}, params=params, content=b"hello"
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "evidence_type_unsupported"
    empty = await client.post(
        path, headers={**enterprise, "Content-Type": "image/png"}, params=params, content=b""
    )
    assert empty.status_code == 422 and empty.json()["code"] == "evidence_empty"
    filed = await client.post(
        f"{URL}/applications/{application['id']}/submit", headers=enterprise, json={"version": 1}
    )
    assert filed.status_code == 200
    late = await client.post(
        path, headers={**enterprise, "Content-Type": "application/pdf"}, params=params, content=PDF
    )
    assert late.status_code == 409 and late.json()["code"] == "transition_not_allowed"
    assert len((await client.get(path, headers=enterprise)).json()["items"]) == 1
