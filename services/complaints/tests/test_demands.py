"""The enterprise demands ledger (诉求工作台账, seed 000 (二十二)): recorded → assigned → answered →
confirmed closed by the enterprise (or reopened back to the department), on the working-day
clocks, with the open and overdue figures per 市州 and department, each caller in its own scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import text

from services.complaints.tests.support import API, move_to, register
from sme_common.clock import FixedClock
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_complaints.demands.service import mark_overdue, remind_due_soon

ENTERPRISE = make_uscc(region="620102", body="DM000001")
OTHER = make_uscc(region="620102", body="DM000002")
TIANSHUI = make_uscc(region="620503", body="DM000003")
HOTLINE_SCOPES = ("complaints:read", "complaints:write")


def demand(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": ENTERPRISE,
        "enterprise_name": "兰州测试精密制造有限公司",
        "region_code": "620102",
        "topic_code": "land",
        "title": "扩建厂房用地指标",
        "description": "二期扩建需新增工业用地约20亩，请协调用地指标。",
        "source": "platform",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    demand_id: str,
    action: str,
    version: int,
    **fields: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/demands/{demand_id}/steps",
        headers=headers,
        json={"action": action, "version": version, **fields},
    )


async def outbox(client: httpx.AsyncClient, prefix: str) -> list[tuple[str, str]]:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(
            text("SELECT event_type, key FROM outbox_message WHERE event_type LIKE :p ORDER BY id"),
            {"p": f"{prefix}%"},
        )
        return [(r[0], r[1]) for r in rows]


async def test_the_loop_closes_when_the_enterprise_confirms_the_answer(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    enterprise = bearer("enterprise", uscc=ENTERPRISE)
    city = bearer("city_officer", region="620100")
    recorded = await client.post(f"{API}/demands", headers=enterprise, json=demand())
    assert recorded.status_code == 201, recorded.text
    body = recorded.json()
    assert body["status"] == "recorded" and body["reporting_unit_code"] == "620100"
    # Wednesday 23 September 2026: 3 working days (an unverified placeholder): 24, then Friday 25
    # is the Mid-Autumn Festival, 28, 29 → Tuesday 29 September.
    assert body["deadline"]["clock"] == "assign"
    assert body["deadline"]["due_on"] == "2026-09-29"
    assert body["deadline"]["unverified"] is True
    demand_id = body["id"]

    assigned = await act(client, city, demand_id, "assign", 1)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["department_id"] == "gs-620100-land"  # land → the 市州's department
    assert assigned.json()["deadline"]["clock"] == "answer"

    county = bearer("county_officer", region="620102")
    refused = await act(client, county, demand_id, "answer", 2, answer="已协调。")
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "department_officer_required"
    too_early = await act(client, enterprise, demand_id, "confirm", 2)
    assert too_early.status_code == 409 and too_early.json()["code"] == "transition_not_allowed"

    answered = await act(client, city, demand_id, "answer", 2, answer="已纳入年度用地计划。")
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert answered.json()["deadline"] is None  # no clock while the enterprise reads the answer
    assert answered.json()["answer"]["within_deadline"] is True

    closed = await act(client, enterprise, demand_id, "confirm", 3, remarks="满意")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_on"] == "2026-09-23"
    assert closed.json()["confirmation"]["by"] == "enterprise"

    steps = (await client.get(f"{API}/demands/{demand_id}/steps", headers=enterprise)).json()
    assert [s["action"] for s in steps["items"]] == ["record", "assign", "answer", "confirm"]
    assert await outbox(client, "complaints.demand.") == [
        (f"complaints.demand.{verb}.v1", ENTERPRISE)
        for verb in ("recorded", "assigned", "answered", "closed")
    ]
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        audited = await session.execute(
            text(
                "SELECT resource_type, action, actor_subject FROM audit_record "
                "WHERE resource_type LIKE 'enterprise_demand%' ORDER BY position"
            )
        )
        rows = [tuple(r) for r in audited]
    # Every write is in the audit chain, by whom (the refused steps changed nothing).
    assert [r[:2] for r in rows if r[0] == "enterprise_demand"] == [
        ("enterprise_demand", "insert"),
        *[("enterprise_demand", "update")] * 3,
    ]
    assert len([r for r in rows if r[0] == "enterprise_demand_step"]) == 4
    assert rows[-1][2] == "test:enterprise:None"


async def test_a_reopened_demand_goes_back_to_its_department_with_a_new_clock(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    enterprise = bearer("enterprise", uscc=ENTERPRISE)
    city = bearer("city_officer", region="620100")
    demand_id = (await client.post(f"{API}/demands", headers=enterprise, json=demand())).json()[
        "id"
    ]
    assert (await act(client, city, demand_id, "assign", 1)).status_code == 200
    assert (await act(client, city, demand_id, "answer", 2, answer="请等待。")).status_code == 200
    move_to(business_clock, date(2026, 9, 29))

    missing = await act(client, enterprise, demand_id, "reopen", 3)
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    not_his = await act(
        client, enterprise, demand_id, "reopen", 3, reason="x", confirmed_via="phone"
    )
    assert not_his.status_code == 422 and not_his.json()["code"] == "step_field_not_allowed"
    stale = await act(client, enterprise, demand_id, "reopen", 2, reason="答复未解决问题")
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"

    reopened = await act(client, enterprise, demand_id, "reopen", 3, reason="答复未解决问题")
    assert reopened.status_code == 200, reopened.text
    body = reopened.json()
    assert body["status"] == "assigned" and body["department_id"] == "gs-620100-land"
    assert body["reopen_count"] == 1
    # The answer clock runs again from the reopening (Tuesday 29 September), across National Day:
    # 30 September, then 8, 9, 10 (Saturday, worked), 12, 13, 14, 15, 16, 19 October.
    assert body["deadline"]["started_on"] == "2026-09-29"
    assert body["deadline"]["due_on"] == "2026-10-19"

    # An officer records the enterprise's word only by naming how it was given.
    assert (await act(client, city, demand_id, "answer", 4, answer="已解决。")).status_code == 200
    unnamed = await act(client, city, demand_id, "confirm", 5)
    assert unnamed.status_code == 422 and unnamed.json()["field"] == "confirmed_via"
    confirmed = await act(client, city, demand_id, "confirm", 5, confirmed_via="visit")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmation"] == {
        "confirmed": True,
        "by": "officer",
        "via": "visit",
        "on": "2026-09-29",
        "remarks": None,
    }
    kinds = [t for t, _ in await outbox(client, "complaints.demand.")]
    assert "complaints.demand.reopened.v1" in kinds and kinds[-1] == "complaints.demand.closed.v1"


async def test_the_answer_deadline_skips_the_national_day_holiday(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    city = bearer("city_officer", region="620100")
    recorded = await client.post(
        f"{API}/demands", headers=city, json=demand(source="commissioner", topic_code="power")
    )
    assert recorded.status_code == 201, recorded.text
    assigned = await act(client, city, recorded.json()["id"], "assign", 1)
    assert assigned.json()["department_id"] == "gs-620100-power"
    # From Wednesday 23 September: 24, (25 Mid-Autumn), 28, 29, 30 September, then 1–7 October
    # are holidays, 8, 9, 10 (the make-up Saturday), 12, 13, 14 → Wednesday 14 October (on a
    # plain Monday-to-Friday count it would be 7 October).
    assert assigned.json()["deadline"]["due_on"] == "2026-10-14"


async def test_open_and_overdue_figures_per_region_and_department(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    province = bearer("province_officer", region="620000")
    city = bearer("city_officer", region="620100")
    made = []
    for uscc, region, topic in (
        (ENTERPRISE, "620102", "land"),
        (ENTERPRISE, "620102", "staff"),
        (OTHER, "620102", "land"),
        (TIANSHUI, "620503", "finance"),
    ):
        answer = await client.post(
            f"{API}/demands",
            headers=province,
            json=demand(uscc=uscc, region_code=region, topic_code=topic, source="visit"),
        )
        assert answer.status_code == 201, answer.text
        made.append(answer.json()["id"])
    # Two Lanzhou land demands assigned (due 14 October); one answered and confirmed closed.
    for demand_id in made[:1] + made[2:3]:
        assert (await act(client, city, demand_id, "assign", 1)).status_code == 200
    assert (await act(client, city, made[2], "answer", 2, answer="已办。")).status_code == 200
    assert (
        await act(client, city, made[2], "confirm", 3, confirmed_via="phone")
    ).status_code == 200
    # The Tianshui one assigned by the province; the Lanzhou staff demand never assigned.
    assert (await act(client, province, made[3], "assign", 1)).status_code == 200

    move_to(business_clock, date(2026, 10, 15))
    by_region = await client.get(f"{API}/demands/summary?group_by=region", headers=province)
    assert by_region.status_code == 200, by_region.text
    rows = {r["key"]: (r["open"], r["overdue"], r["closed"]) for r in by_region.json()["rows"]}
    # Lanzhou: land (due 14 Oct) and staff (assign due 29 Sep) overdue; one closed.
    # Tianshui: the finance demand, due 14 October, overdue too.
    assert rows == {"620100": (2, 2, 1), "620500": (1, 1, 0)}
    by_department = await client.get(f"{API}/demands/summary?group_by=department", headers=province)
    rows = {r["key"]: (r["open"], r["overdue"], r["closed"]) for r in by_department.json()["rows"]}
    assert rows == {
        "gs-620100-land": (1, 1, 1),
        "gs-620500-finance": (1, 1, 0),
        "unassigned": (1, 1, 0),
    }
    # A city sees its own 市州 only (region scope in SQL).
    mine = (await client.get(f"{API}/demands/summary", headers=city)).json()
    assert [(r["key"], r["open"], r["overdue"]) for r in mine["rows"]] == [("620100", 2, 2)]

    queue = await client.get(f"{API}/departments/gs-620100-land/overdue-demands", headers=city)
    assert queue.status_code == 200, queue.text
    assert [i["demand_id"] for i in queue.json()["items"]] == [made[0]]
    assert queue.json()["items"][0]["due_on"] == "2026-10-14"
    elsewhere = bearer("city_officer", region="620200")
    hidden = await client.get(
        f"{API}/departments/gs-620100-land/overdue-demands", headers=elsewhere
    )
    assert hidden.status_code == 404 and hidden.json()["code"] == "department_not_found"

    database = client.app.state.database  # type: ignore[attr-defined]
    assert await mark_overdue(database) == 3
    assert await mark_overdue(database) == 0  # once per clock
    kinds = [k for k, _ in await outbox(client, "complaints.demand.overdue")]
    assert len(kinds) == 3
    got = (await client.get(f"{API}/demands/{made[0]}", headers=city)).json()
    assert got["breached_on"] == "2026-10-15"


async def test_reminders_come_before_the_deadline_once(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    city = bearer("city_officer", region="620100")
    await client.post(f"{API}/demands", headers=city, json=demand(source="letter"))
    database = client.app.state.database  # type: ignore[attr-defined]
    # Recorded Wednesday 23 September, due Tuesday 29: within two working days from Thursday 24
    # (not yet on the 23rd).
    assert await remind_due_soon(client.app.state.database) == 0  # type: ignore[attr-defined]
    move_to(business_clock, date(2026, 9, 24))
    assert await remind_due_soon(database) == 1
    assert await remind_due_soon(database) == 0


async def test_each_caller_records_and_sees_demands_only_in_its_scope(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await register(client, ENTERPRISE)
    hotline = bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-12345")
    call = demand(source="hotline", work_order_no="GS12345-D-0001", region_code=...)
    filed = await client.post(f"{API}/demands", headers=hotline, json=call)
    assert filed.status_code == 201, filed.text
    assert filed.json()["region_code"] == "620102"  # from the register
    again = await client.post(f"{API}/demands", headers=hotline, json=call)
    assert again.status_code == 200 and again.json()["id"] == filed.json()["id"]
    changed = await client.post(f"{API}/demands", headers=hotline, json={**call, "title": "别的"})
    assert changed.status_code == 409 and changed.json()["code"] == "work_order_conflict"
    path = f"{API}/demands/{filed.json()['id']}"
    sees = {
        "own hotline": (hotline, 200),
        "other hotline": (bearer("hotline", scopes=HOTLINE_SCOPES, client_id="other"), 404),
        "province": (bearer("province_officer", region="620000"), 200),
        "the enterprise's city": (bearer("city_officer", region="620100"), 200),
        "the enterprise's county": (bearer("county_officer", region="620102"), 200),
        "another city": (bearer("city_officer", region="620200"), 404),
        "another county": (bearer("county_officer", region="620103"), 404),
        "the enterprise": (bearer("enterprise", uscc=ENTERPRISE), 200),
        "another enterprise": (bearer("enterprise", uscc=OTHER), 404),
        "platform admin": (bearer("platform_admin"), 200),
        "bank": (bearer("bank", region="620000", scopes=HOTLINE_SCOPES), 403),
        "no token": ({}, 401),
    }
    for who, (headers, status) in sees.items():
        answer = await client.get(path, headers=headers)
        assert answer.status_code == status, (who, answer.text)
        listed = await client.get(f"{API}/demands", headers=headers)
        if status in (200, 404):
            assert len(listed.json()["items"]) == (1 if status == 200 else 0), who
    # Steps: another county cannot even find it; the enterprise cannot assign its own demand.
    outsider = bearer("county_officer", region="620103")
    assert (await act(client, outsider, filed.json()["id"], "assign", 1)).status_code == 404
    own = bearer("enterprise", uscc=ENTERPRISE)
    refused = await act(client, own, filed.json()["id"], "assign", 1)
    assert refused.status_code == 403 and refused.json()["code"] == "region_officer_required"
    wrong_place = await act(
        client,
        bearer("city_officer", region="620100"),
        filed.json()["id"],
        "assign",
        1,
        department_id="gs-620500-land",
    )
    assert wrong_place.status_code == 422
    assert wrong_place.json()["code"] == "department_out_of_region"

    # Recording: for oneself only, in one's own region only, the register's place only.
    cases = [
        (own, demand(uscc=OTHER), 403, "enterprise_not_self"),
        (own, demand(source="visit"), 422, "demand_source_invalid"),
        (outsider, demand(source="visit"), 403, "region_forbidden"),
        (hotline, demand(source="hotline"), 422, "work_order_required"),
        (own, demand(region_code="620103"), 422, "region_mismatch"),
        (own, demand(topic_code="weather"), 422, "topic_unknown"),
        (
            bearer("enterprise", uscc=OTHER),
            demand(uscc=OTHER, region_code=...),
            422,
            "region_required",
        ),
    ]
    for headers, body, status, code in cases:
        answer = await client.post(f"{API}/demands", headers=headers, json=body)
        assert answer.status_code == status, (code, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code
    topics = await client.get(f"{API}/demand-topics", headers=own)
    assert [t["code"] for t in topics.json()["items"]] == [
        "land",
        "power",
        "staff",
        "finance",
        "approvals",
        "other",
    ]
