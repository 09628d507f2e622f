"""After the provincial review: experts drawn at random from the province's pool (none from the
applicant's county, none with a declared conflict) score blind; the public notice (公示) runs for
the province's length in working days; objections hold the decision until resolved; the decision
grants (the certificate in the same transaction) or rejects with reasons. Classified (涉密)
applications skip the notice and never appear in public lists. Illegal steps change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from services.certification.tests.support import (
    CHENGGUAN,
    LANZHOU,
    QILIHE,
    QINZHOU,
    TIANSHUI,
    URL,
    act,
    known_enterprise,
    make_application,
    make_batch,
    outbox_types,
)
from sme_common.clock import FixedClock
from sme_common.db import Database
from sme_common.testing.plugin import TokenFactory

Headers = dict[str, str]
GRANTED = "certification.certificate.granted.v1"
NOTICE_STARTED = "certification.application.notice-started.v1"
REJECTED = "certification.application.rejected.v1"
OBJECTION = {
    "objector_name": "张三",
    "contact": "13800000000",
    "grounds": "该企业2025年营业收入与纳税申报不符，请核实。",
}


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


def expert_token(bearer: TokenFactory, subject: str) -> Headers:
    return bearer("expert", subject=subject)


async def read(client: httpx.AsyncClient, headers: Headers, app_id: str) -> dict[str, Any]:
    response = await client.get(f"{URL}/applications/{app_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def reviewed(
    client: httpx.AsyncClient,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
    body: str,
    *,
    batch: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An application of an enterprise of 城关区 (兰州) through the provincial review."""
    uscc = await known_enterprise(database(client), body)
    batch = batch or await make_batch(client, province)
    application = await make_application(client, chengguan, batch["id"], uscc)
    submitted = await client.post(
        f"{URL}/applications/{application['id']}/submit", headers=chengguan, json={"version": 1}
    )
    assert submitted.status_code == 200, submitted.text
    current = submitted.json()
    for headers, action in (
        (chengguan, "approve_county_check"),
        (lanzhou, "recommend"),
        (province, "approve_provincial_review"),
    ):
        response = await act(client, headers, current, action)
        assert response.status_code == 200, response.text
        current = response.json()
    assert current["status"] == "provincially_reviewed"
    return current


async def register(
    client: httpx.AsyncClient, province: Headers, subject: str, home: str, *conflicts: str
) -> dict[str, Any]:
    response = await client.post(
        f"{URL}/experts",
        headers=province,
        json={
            "name": f"专家{subject}",
            "subject": subject,
            "home_region_code": home,
            "specialities": ["新材料"],
            "conflicts": list(conflicts),
        },
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def assign(
    client: httpx.AsyncClient, province: Headers, application: dict[str, Any], count: int
) -> httpx.Response:
    return await client.post(
        f"{URL}/applications/{application['id']}/experts",
        headers=province,
        json={"count": count, "version": application["version"]},
    )


async def scored(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    application: dict[str, Any],
    scores: list[str],
) -> dict[str, Any]:
    """Through expert scoring with a pool of exactly ``len(scores)`` eligible experts."""
    tag = application["id"][-6:]
    for i in range(len(scores)):
        await register(client, province, f"exp-{tag}-{i}", QINZHOU)
    response = await assign(client, province, application, len(scores))
    assert response.status_code == 201, response.text
    members = response.json()["members"]
    experts = {m["expert_id"]: m for m in members}
    pool = (await client.get(f"{URL}/experts", headers=province)).json()["items"]
    subjects = {e["id"]: e["subject"] for e in pool if e["id"] in experts}
    for (expert_id, member), value in zip(experts.items(), scores, strict=True):
        given = await client.post(
            f"{URL}/expert/assignments/{member['assignment_id']}/score",
            headers=expert_token(bearer, subjects[expert_id]),
            json={"score": value, "remarks": "较好"},
        )
        assert given.status_code == 200, given.text
    return await read(client, province, application["id"])


async def decide(
    client: httpx.AsyncClient,
    headers: Headers,
    application: dict[str, Any],
    action: str,
    **more: Any,
) -> httpx.Response:
    return await client.post(
        f"{URL}/applications/{application['id']}/final-decision",
        headers=headers,
        json={"action": action, "version": application["version"], **more},
    )


async def start_notice(
    client: httpx.AsyncClient, province: Headers, *applications: dict[str, Any], **more: Any
) -> httpx.Response:
    return await client.post(
        f"{URL}/notices",
        headers=province,
        json={
            "title": "2026年度省级专精特新中小企业拟认定名单公示",
            "application_ids": [a["id"] for a in applications],
            **more,
        },
    )


# --- experts --------------------------------------------------------------------------------------


async def test_experts_are_drawn_outside_the_applicants_county_and_conflicts(
    client: httpx.AsyncClient, province: Headers, lanzhou: Headers, chengguan: Headers
) -> None:
    application = await reviewed(client, province, lanzhou, chengguan, "RW000001")
    uscc = application["uscc"]
    await register(client, province, "exp-home", CHENGGUAN)  # the applicant's county
    await register(client, province, "exp-conflict", QINZHOU, uscc)  # declared a conflict
    eligible = {
        (await register(client, province, "exp-a", QILIHE))["id"],
        (await register(client, province, "exp-b", QINZHOU))["id"],
    }
    too_many = await assign(client, province, application, 3)
    assert too_many.status_code == 422 and too_many.json()["code"] == "experts_too_few"
    assert (await read(client, province, application["id"]))["version"] == application["version"]
    drawn = await assign(client, province, application, 2)
    assert drawn.status_code == 201, drawn.text
    assert {m["expert_id"] for m in drawn.json()["members"]} == eligible
    after = await read(client, province, application["id"])
    assert after["status"] == "under_expert_review"
    again = await assign(client, province, after, 2)
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"


async def test_a_conflict_declared_later_excludes_the_expert(
    client: httpx.AsyncClient, province: Headers, lanzhou: Headers, chengguan: Headers
) -> None:
    application = await reviewed(client, province, lanzhou, chengguan, "RW000002")
    expert = await register(client, province, "exp-late", QILIHE)
    updated = await client.patch(
        f"{URL}/experts/{expert['id']}",
        headers=province,
        json={"conflicts": [application["uscc"]], "version": 1},
    )
    assert updated.status_code == 200 and updated.json()["conflicts"] == [application["uscc"]]
    refused = await assign(client, province, application, 1)
    assert refused.status_code == 422 and refused.json()["code"] == "experts_too_few"


async def test_experts_score_blind_and_the_mean_is_kept(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await reviewed(client, province, lanzhou, chengguan, "RW000003")
    for subject in ("exp-x", "exp-y", "exp-z"):
        await register(client, province, subject, QINZHOU)
    outsider = await register(client, province, "exp-idle", QINZHOU, application["uscc"])
    drawn = await assign(client, province, application, 3)
    assert drawn.status_code == 201, drawn.text
    x, y, z = (expert_token(bearer, s) for s in ("exp-x", "exp-y", "exp-z"))
    mine = (await client.get(f"{URL}/expert/assignments", headers=x)).json()["items"]
    assert [m["application_id"] for m in mine] == [application["id"]]
    assert mine[0]["enterprise_name"] == "企业RW000003" and mine[0]["score"] is None
    given = await client.post(
        f"{URL}/expert/assignments/{mine[0]['assignment_id']}/score",
        headers=x,
        json={"criteria_scores": {"specialisation": "40", "innovation": "40"}, "remarks": "好"},
    )
    assert given.status_code == 200 and given.json()["score"] == "80.00"
    twice = await client.post(
        f"{URL}/expert/assignments/{mine[0]['assignment_id']}/score", headers=x, json={"score": 1}
    )
    assert twice.status_code == 409 and twice.json()["code"] == "score_already_given"
    # Blind: y sees its own assignment only, without x's score; x's assignment is not y's.
    theirs = (await client.get(f"{URL}/expert/assignments", headers=y)).json()["items"]
    assert len(theirs) == 1 and theirs[0]["score"] is None
    assert "80.00" not in str(theirs) and "specialisation" not in str(theirs)
    foreign = await client.get(f"{URL}/expert/assignments/{mine[0]['assignment_id']}", headers=y)
    assert foreign.status_code == 404 and foreign.json()["code"] == "assignment_not_found"
    idle = expert_token(bearer, outsider["subject"])
    assert (await client.get(f"{URL}/expert/assignments", headers=idle)).json()["items"] == []
    both = await client.post(
        f"{URL}/expert/assignments/{theirs[0]['assignment_id']}/score",
        headers=y,
        json={"score": "85", "criteria_scores": {"innovation": "85"}},
    )
    assert both.status_code == 422 and both.json()["code"] == "score_or_criteria"
    await client.post(
        f"{URL}/expert/assignments/{theirs[0]['assignment_id']}/score",
        headers=y,
        json={"score": "85"},
    )
    assert (await read(client, province, application["id"]))["status"] == "under_expert_review"
    last = (await client.get(f"{URL}/expert/assignments", headers=z)).json()["items"][0]
    await client.post(
        f"{URL}/expert/assignments/{last['assignment_id']}/score",
        headers=z,
        json={"score": "90.5"},
    )
    done = await read(client, province, application["id"])
    # (80 + 85 + 90.5) / 3 = 85.1666… → 85.17 (half up, 2 places)
    assert done["status"] == "expert_scored" and done["expert_score"] == "85.17"
    panel = (
        await client.get(f"{URL}/applications/{application['id']}/experts", headers=province)
    ).json()
    assert sorted(m["score"] for m in panel["members"]) == ["80.00", "85.00", "90.50"]


# --- notice, objections, decision ---------------------------------------------------------------


async def test_the_notice_runs_five_working_days_across_the_dragon_boat_festival(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    business_clock: FixedClock,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000004"),
        ["88"],
    )
    # 2026-06-15 (Mon) … 18 (Thu) are days 1–4; 19 June (端午节) and the weekend are not working
    # days; Monday 22 June is day 5 (on weekdays alone it would have ended on the 19th).
    started = await start_notice(client, province, application, starts_on="2026-06-15")
    assert started.status_code == 201, started.text
    notice = started.json()
    assert (notice["starts_on"], notice["ends_on"]) == ("2026-06-15", "2026-06-22")
    assert (notice["length"], notice["unit"]) == (5, "working_days")
    assert notice["application_ids"] == [application["id"]]
    noticed = await read(client, province, application["id"])
    assert noticed["status"] == "under_notice"
    assert NOTICE_STARTED in await outbox_types(database(client))
    # Not yet running on 10 June: the public list is empty and objections are refused.
    assert (await client.get(f"{URL}/public/notices")).json()["items"] == []
    early = await client.post(
        f"{URL}/public/notices/{notice['id']}/objections",
        json={"application_id": application["id"], **OBJECTION},
    )
    assert early.status_code == 422, early.text
    assert early.json()["code"] == "notice_not_running"
    business_clock.advance(timedelta(days=12))  # 22 June, its last day
    public = (await client.get(f"{URL}/public/notices")).json()["items"]
    assert [e["enterprise_name"] for e in public[0]["entries"]] == ["企业RW000004"]
    held = await decide(client, province, noticed, "grant")
    assert held.status_code == 409 and held.json()["code"] == "notice_running"
    business_clock.advance(timedelta(days=1))  # 23 June: ended
    assert (await client.get(f"{URL}/public/notices")).json()["items"] == []
    granted = await decide(client, province, noticed, "grant")
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "granted" and granted.json()["certificate_id"]


async def test_an_objection_holds_the_decision_until_dismissed_then_the_grant_makes_a_certificate(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    business_clock: FixedClock,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000005"),
        ["75", "80", "85"],
    )
    notice = (await start_notice(client, province, application)).json()
    filed = await client.post(
        f"{URL}/public/notices/{notice['id']}/objections",
        json={"application_id": application["id"], **OBJECTION},
    )
    assert filed.status_code == 201, filed.text
    assert set(filed.json()) == {"id", "notice_id", "application_id", "status", "filed_at"}
    on_behalf = await client.post(
        f"{URL}/notices/{notice['id']}/objections",
        headers=chengguan,
        json={"application_id": application["id"], **OBJECTION, "objector_name": "李四"},
    )
    assert on_behalf.status_code == 201, on_behalf.text
    business_clock.advance(timedelta(days=30))
    current = await read(client, province, application["id"])
    for _ in range(2):
        held = await decide(client, province, current, "grant")
        assert held.status_code == 409 and held.json()["code"] == "objection_open"
        resolved = await client.post(
            f"{URL}/objections/{filed.json()['id'] if _ == 0 else on_behalf.json()['id']}"
            "/resolution",
            headers=province,
            json={"outcome": "dismissed", "resolution": "经核实，营业收入数据真实。"},
        )
        assert resolved.status_code == 200 and resolved.json()["status"] == "dismissed"
    assert await read(client, province, application["id"]) == current  # objections: no change
    stale = await decide(client, province, {**current, "version": current["version"] - 1}, "grant")
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    granted = await decide(client, province, current, "grant")
    assert granted.status_code == 200, granted.text
    certificate = await client.get(
        f"{URL}/certificates/{granted.json()['certificate_id']}", headers=province
    )
    assert certificate.status_code == 200
    assert certificate.json()["uscc"] == application["uscc"]
    assert certificate.json()["application_id"] == application["id"]
    assert (await outbox_types(database(client)))[-1] == GRANTED
    again = await decide(client, province, granted.json(), "reject", reasons={"x": "晚了"})
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    resolved_twice = await client.post(
        f"{URL}/objections/{filed.json()['id']}/resolution",
        headers=province,
        json={"outcome": "upheld", "resolution": "再议"},
    )
    assert resolved_twice.status_code == 409
    assert (await read(client, province, application["id"]))["status"] == "granted"


async def test_an_upheld_objection_rejects_the_application(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000006"),
        ["70"],
    )
    notice = (await start_notice(client, province, application)).json()
    filed = await client.post(
        f"{URL}/public/notices/{notice['id']}/objections",
        json={"application_id": application["id"], **OBJECTION},
    )
    upheld = await client.post(
        f"{URL}/objections/{filed.json()['id']}/resolution",
        headers=province,
        json={"outcome": "upheld", "resolution": "经核实，申报数据与纳税记录不符。"},
    )
    assert upheld.status_code == 200 and upheld.json()["status"] == "upheld"
    rejected = await read(client, province, application["id"])
    assert rejected["status"] == "rejected"
    assert rejected["decision_reasons"] == {"objection": "经核实，申报数据与纳税记录不符。"}
    assert (await outbox_types(database(client)))[-1] == REJECTED


async def test_a_classified_application_skips_the_notice_and_is_never_public(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    batch = await make_batch(client, province)
    secret = await reviewed(client, province, lanzhou, chengguan, "RW000007", batch=batch)
    marked = await client.put(
        f"{URL}/applications/{secret['id']}/classification",
        headers=province,
        json={"classified": True, "version": secret["version"]},
    )
    assert marked.status_code == 200 and marked.json()["classified"] is True
    secret = await scored(client, bearer, province, marked.json(), ["90"])
    open_one = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000008", batch=batch),
        ["90"],
    )
    refused = await start_notice(client, province, open_one, secret)
    assert refused.status_code == 422 and refused.json()["code"] == "classified_not_noticed"
    assert (await read(client, province, open_one["id"]))["status"] == "expert_scored"
    assert (await client.get(f"{URL}/notices", headers=province)).json()["items"] == []
    assert (await start_notice(client, province, open_one)).status_code == 201
    public = (await client.get(f"{URL}/public/notices")).json()["items"]
    names = [e["enterprise_name"] for n in public for e in n["entries"]]
    assert names == ["企业RW000008"] and "RW000007" not in str(public)
    not_yet = await decide(client, province, open_one, "grant")
    assert not_yet.status_code == 409  # under notice, still running
    granted = await decide(client, province, secret, "grant")
    assert granted.status_code == 200, granted.text
    certificate = await client.get(
        f"{URL}/certificates/{granted.json()['certificate_id']}", headers=province
    )
    assert certificate.json()["classified"] is True
    late = await client.put(
        f"{URL}/applications/{open_one['id']}/classification",
        headers=province,
        json={"classified": True, "version": open_one["version"] + 1},
    )
    assert late.status_code == 409 and late.json()["code"] == "transition_not_allowed"


async def test_reject_with_reasons_and_illegal_decisions_change_nothing(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    early = await reviewed(client, province, lanzhou, chengguan, "RW000009")
    refused = await decide(client, province, early, "grant")
    assert refused.status_code == 409 and refused.json()["code"] == "transition_not_allowed"
    application = await scored(client, bearer, province, early, ["55"])
    no_notice = await decide(client, province, application, "grant")
    assert no_notice.status_code == 409 and no_notice.json()["code"] == "notice_required"
    no_reasons = await decide(client, province, application, "reject")
    assert no_reasons.status_code == 422 and no_reasons.json()["code"] == "reasons_required"
    no_version = await client.post(
        f"{URL}/applications/{application['id']}/final-decision",
        headers=province,
        json={"action": "reject", "reasons": {"expert_score": "低于60分"}},
    )
    assert no_version.status_code == 409 and no_version.json()["code"] == "version_required"
    assert await read(client, province, application["id"]) == application
    assert REJECTED not in await outbox_types(database(client))
    rejected = await decide(
        client, province, application, "reject", reasons={"expert_score": "专家评审得分低于60分"}
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["decision_reasons"] == {"expert_score": "专家评审得分低于60分"}
    assert (await outbox_types(database(client)))[-1] == REJECTED
    edit = await client.patch(
        f"{URL}/applications/{application['id']}",
        headers=chengguan,
        json={"declared": {"domestic_market_rank": 1}, "version": rejected.json()["version"]},
    )
    assert edit.status_code == 409 and edit.json()["code"] == "transition_not_allowed"


async def test_an_officer_who_filed_the_application_does_not_decide_it(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    uscc = await known_enterprise(database(client), "RW000010")
    batch = await make_batch(client, province)
    application = await make_application(client, province, batch["id"], uscc)
    current = (
        await client.post(
            f"{URL}/applications/{application['id']}/submit", headers=province, json={"version": 1}
        )
    ).json()
    for headers, action in (
        (chengguan, "approve_county_check"),
        (lanzhou, "recommend"),
        (province, "approve_provincial_review"),
    ):
        current = (await act(client, headers, current, action)).json()
    current = await scored(client, bearer, province, current, ["50"])
    own = await decide(client, province, current, "reject", reasons={"score": "低"})
    assert own.status_code == 403 and own.json()["code"] == "approver_is_author"
    other = bearer("province_officer", region="620000", subject="officer-2")
    assert (
        await decide(client, other, current, "reject", reasons={"score": "低"})
    ).status_code == 200


# --- access ---------------------------------------------------------------------------------------


async def test_access_to_the_review_endpoints(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await reviewed(client, province, lanzhou, chengguan, "RW000011")
    app_id = application["id"]
    officer_routes = [
        ("POST", "/experts", {"name": "x", "subject": "s", "home_region_code": QINZHOU}),
        ("GET", "/experts", None),
        ("POST", f"/applications/{app_id}/experts", {"count": 1, "version": 5}),
        ("GET", f"/applications/{app_id}/experts", None),
        ("POST", "/notices", {"title": "公示", "application_ids": [app_id]}),
        ("GET", "/notices", None),
        ("POST", f"/applications/{app_id}/final-decision", {"action": "grant", "version": 5}),
    ]
    expert_routes = [("GET", "/expert/assignments", None)]
    for method, path, body in officer_routes + expert_routes:
        anonymous = await client.request(method, f"{URL}{path}", json=body)
        assert anonymous.status_code == 401, path
    wrong_roles = (
        lanzhou,
        chengguan,
        bearer("expert", subject="exp-any"),
        bearer("enterprise", uscc=application["uscc"]),
        bearer("platform_admin"),
    )
    for headers in wrong_roles:
        for method, path, body in officer_routes:
            refused = await client.request(method, f"{URL}{path}", headers=headers, json=body)
            assert refused.status_code == 403, (path, refused.text)
    for headers in (province, lanzhou, bearer("enterprise", uscc=application["uscc"])):
        refused = await client.get(f"{URL}/expert/assignments", headers=headers)
        assert refused.status_code == 403
    elsewhere = bearer("province_officer", region="520000")  # Guizhou: not this application's
    for method, path, body in officer_routes[2:4] + officer_routes[6:]:
        hidden = await client.request(method, f"{URL}{path}", headers=elsewhere, json=body)
        assert hidden.status_code == 404, (path, hidden.text)
    foreign_notice = await client.post(
        f"{URL}/notices", headers=elsewhere, json={"title": "公示", "application_ids": [app_id]}
    )
    assert foreign_notice.status_code == 404
    foreign_expert = await client.post(
        f"{URL}/experts",
        headers=province,
        json={"name": "外省", "subject": "exp-gz", "home_region_code": "420100"},
    )
    assert foreign_expert.status_code == 403 and foreign_expert.json()["code"] == "region_forbidden"
    tianshui = bearer("city_officer", region=TIANSHUI)
    on_behalf = await client.post(
        f"{URL}/notices/notice_none/objections",
        headers=tianshui,
        json={"application_id": app_id, **OBJECTION},
    )
    assert on_behalf.status_code == 404


async def test_public_objections_are_checked_and_limited(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    application = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000012"),
        ["80"],
    )
    notice = (await start_notice(client, province, application)).json()
    path = f"{URL}/public/notices/{notice['id']}/objections"
    for bad in (
        {**OBJECTION, "grounds": "太短"},
        {**OBJECTION, "grounds": "长" * 4001},
        {**OBJECTION, "objector_name": "\u202e张三"},
        {**OBJECTION, "contact": ""},
    ):
        response = await client.post(path, json={"application_id": application["id"], **bad})
        assert response.status_code == 422, bad
        assert response.headers["content-type"].startswith("application/problem+json")
    other = await client.post(path, json={"application_id": "app_0000000000000000", **OBJECTION})
    assert other.status_code == 404
    unknown = await client.post(
        f"{URL}/public/notices/notice_none/objections",
        json={"application_id": application["id"], **OBJECTION},
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "notice_not_found"
    past = await start_notice(client, province, application, starts_on=str(date(2026, 6, 1)))
    assert past.status_code == 422 and past.json()["code"] == "notice_start_in_past"
    listed = (await client.get(f"{URL}/notices/{notice['id']}/objections", headers=province)).json()
    assert listed["items"] == []


async def test_one_client_may_file_only_a_few_public_objections_a_day(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    business_clock: FixedClock,
    province: Headers,
    lanzhou: Headers,
    chengguan: Headers,
) -> None:
    """The public endpoint has no token: a client's sixth objection within a rolling day is a 429
    with Retry-After and changes nothing; a day after its first, it may file again; an officer
    filing on someone's behalf is not counted."""
    application = await scored(
        client,
        bearer,
        province,
        await reviewed(client, province, lanzhou, chengguan, "RW000013"),
        ["80"],
    )
    notice = (await start_notice(client, province, application)).json()
    path = f"{URL}/public/notices/{notice['id']}/objections"
    body = {"application_id": application["id"], **OBJECTION}
    allowance = client.app.state.settings.public_objections_per_client_per_day  # type: ignore[attr-defined]
    for _ in range(allowance):
        assert (await client.post(path, json=body)).status_code == 201
        business_clock.advance(timedelta(hours=1))
    refused = await client.post(path, json=body)
    assert refused.status_code == 429, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "objection_rate_limited"
    assert refused.json()["detail_zh"]
    # The first one leaves the rolling day 24 h after it was filed: 24 - 5 = 19 hours from now.
    assert int(refused.headers["Retry-After"]) == 19 * 3600
    officer_path = f"{URL}/notices/{notice['id']}/objections"
    on_behalf = await client.post(
        officer_path, headers=chengguan, json={**body, "objector_name": "李四"}
    )
    assert on_behalf.status_code == 201
    listed = (await client.get(officer_path, headers=province)).json()["items"]
    assert len(listed) == allowance + 1
    business_clock.advance(timedelta(hours=19))
    assert (await client.post(path, json=body)).status_code == 201
