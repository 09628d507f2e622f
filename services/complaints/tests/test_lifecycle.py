"""The lifecycle through the API: each step, the refused ones (problem+json, nothing changed), the
clocks on the Chinese working-day calendar, pauses, the extension, return and re-routing, and the
overdue queue and job."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from sqlalchemy import text

from services.complaints.tests.support import (
    API,
    COMPLAINANT,
    HOTLINE_SCOPES,
    RESPONDENT,
    complaint,
    event_types,
    move_to,
    register,
    step,
)
from sme_common.clock import FixedClock
from sme_common.testing.plugin import TokenFactory
from sme_complaints.cases.service import mark_overdue, remind_due_soon


def officers(bearer: TokenFactory) -> dict[str, dict[str, str]]:
    return {
        "province": bearer("province_officer", region="620000"),
        "lanzhou": bearer("city_officer", region="620100"),
        "jiayuguan": bearer("city_officer", region="620200"),
        "hotline": bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-12345"),
    }


async def file(
    client: httpx.AsyncClient, who: dict[str, dict[str, str]], **changes: Any
) -> dict[str, Any]:
    answer = await client.post(f"{API}/cases", headers=who["hotline"], json=complaint(**changes))
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_acceptance_is_due_ten_working_days_after_receipt_across_national_day(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    # Received Wed 23 Sep 2026: 24, 28, 29, 30 Sep (25–27 the Mid-Autumn break), 8, 9 Oct,
    # Sat 10 Oct (a make-up working day), 12, 13, 14 Oct (1–7 Oct National Day, 11 Oct Sunday).
    assert case["received_on"] == "2026-09-23"
    assert case["deadline"]["clock"] == "accept"
    assert case["deadline"]["unit"] == "working_days"
    assert case["deadline"]["due_on"] == "2026-10-14"


async def test_the_whole_way_to_the_satisfaction_visit(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    accepted = await ok(await step(client, who["province"], case["id"], "accept", 1))
    assert accepted["status"] == "accepted"
    # Transfer within 10 working days of acceptance (23 Sep): the same day count as above.
    assert accepted["deadline"]["clock"] == "transfer"
    assert accepted["deadline"]["due_on"] == "2026-10-14"
    transferred = await ok(await step(client, who["province"], case["id"], "transfer", 2))
    # 属地管理: a government body of 城关区 (620102) goes to 兰州市's arrears office.
    assert transferred["status"] == "transferred"
    assert transferred["department_id"] == "gs-620100-gov"
    assert transferred["deadline"] is None
    move_to(business_clock, date(2026, 9, 28))
    received = await ok(await step(client, who["lanzhou"], case["id"], "receive", 3))
    assert received["status"] == "in_handling"
    # Handling: 30 calendar days from the department's receipt, holidays included.
    assert received["deadline"] == {
        **received["deadline"],
        "clock": "handle",
        "unit": "days",
        "due_on": "2026-10-28",
    }
    extended = await ok(
        await step(
            client, who["lanzhou"], case["id"], "extend", 4, approved_by="王局长", reason="复杂"
        )
    )
    assert extended["extended"] is True
    assert extended["deadline"]["due_on"] == "2026-12-27"  # 90 days in total from 28 Sep
    again = await step(
        client, who["lanzhou"], case["id"], "extend", 5, approved_by="王局长", reason="再延"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_extended"
    resolved = await ok(
        await step(
            client,
            who["lanzhou"],
            case["id"],
            "resolve",
            5,
            outcome="paid_in_full",
            amount_paid_fen=60_000_000,
            written_result="已全额支付",
        )
    )
    assert resolved["status"] == "resolved"
    assert resolved["outcome"]["within_deadline"] is True
    visited = await ok(
        await step(client, who["province"], case["id"], "visit", 6, satisfaction="satisfied")
    )
    assert visited["status"] == "visited"
    assert visited["version"] == 7
    history = await ok(await client.get(f"{API}/cases/{case['id']}/steps", headers=who["hotline"]))
    assert [s["action"] for s in history["items"]] == [
        "file",
        "accept",
        "transfer",
        "receive",
        "extend",
        "resolve",
        "visit",
    ]
    assert await event_types(client) == [
        "complaints.case.received.v1",
        "complaints.case.accepted.v1",
        "complaints.case.transferred.v1",
        "complaints.case.resolved.v1",
    ]


async def test_not_accepted_with_a_reason_and_closed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    refused = await ok(
        await step(
            client,
            who["province"],
            case["id"],
            "not_accept",
            1,
            reason_code="in_other_proceedings",
            remarks="已提起诉讼",
        )
    )
    assert refused["status"] == "not_accepted"
    assert refused["outcome"]["not_accepted"] == "in_other_proceedings"
    assert refused["deadline"] is None
    other = await file(client, who, work_order_no="GS-2")
    closed = await ok(
        await step(
            client,
            who["province"],
            other["id"],
            "close",
            1,
            close_reason_code="withdrawn",
            remarks="撤回",
        )
    )
    assert closed["status"] == "closed"
    assert "complaints.case.closed.v1" in await event_types(client)


async def test_illegal_steps_are_refused_and_change_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    refusals = [
        (
            who["province"],
            {
                "action": "resolve",
                "version": 1,
                "outcome": "paid_in_full",
                "amount_paid_fen": 1,
                "written_result": "x",
            },
            409,
            "transition_not_allowed",
        ),
        (
            who["province"],
            {"action": "visit", "version": 1, "satisfaction": "satisfied"},
            409,
            "transition_not_allowed",
        ),
        (who["province"], {"action": "resume", "version": 1}, 409, "case_not_paused"),
        (who["province"], {"action": "accept", "version": 7}, 409, "version_conflict"),
        (who["province"], {"action": "accept"}, 409, "version_required"),
        (who["lanzhou"], {"action": "accept", "version": 1}, 403, "accepting_officer_required"),
        (who["jiayuguan"], {"action": "accept", "version": 1}, 404, "case_not_found"),
        (who["province"], {"action": "teleport", "version": 1}, 422, None),
    ]
    for headers, body, status, code in refusals:
        answer = await client.post(f"{API}/cases/{case['id']}/steps", headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        if code is not None:
            assert answer.json()["code"] == code, answer.json()
    unchanged = await ok(await client.get(f"{API}/cases/{case['id']}", headers=who["province"]))
    assert (unchanged["status"], unchanged["version"]) == ("received", 1)
    accepted = await client.post(
        f"{API}/cases/{case['id']}/steps",
        headers={**who["province"], "If-Match": '"1"'},
        json={"action": "accept"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.headers["ETag"] == '"2"'


async def test_a_pause_moves_the_deadline_by_the_working_days_it_lasted(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    move_to(business_clock, date(2026, 9, 24))
    paused = await ok(
        await step(client, who["province"], case["id"], "pause", 1, reason="请补充交货单")
    )
    assert paused["paused_since"] == "2026-09-24"
    blocked = await step(client, who["province"], case["id"], "accept", 2)
    assert blocked.status_code == 409 and blocked.json()["code"] == "case_paused"
    move_to(business_clock, date(2026, 9, 29))
    resumed = await ok(await step(client, who["province"], case["id"], "resume", 2))
    # Paused 24 → 29 Sep: two working days stopped (28 and 29 Sep; 25–27 were off anyway),
    # so 14 Oct becomes 16 Oct.
    assert resumed["paused_since"] is None
    assert resumed["deadline"]["paused_workdays"] == 2
    assert resumed["deadline"]["due_on"] == "2026-10-16"


async def test_a_pause_while_handling_moves_the_deadline_by_calendar_days(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    await ok(await step(client, who["province"], case["id"], "accept", 1))
    await ok(await step(client, who["province"], case["id"], "transfer", 2))
    received = await ok(await step(client, who["lanzhou"], case["id"], "receive", 3))
    assert received["deadline"]["due_on"] == "2026-10-23"
    await ok(await step(client, who["lanzhou"], case["id"], "pause", 4, reason="补充结算单"))
    move_to(business_clock, date(2026, 10, 3))
    resumed = await ok(await step(client, who["lanzhou"], case["id"], "resume", 5))
    assert resumed["deadline"]["paused_days"] == 10
    assert resumed["deadline"]["due_on"] == "2026-11-02"


async def test_a_returned_case_is_routed_again(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    await ok(await step(client, who["province"], case["id"], "accept", 1))
    await ok(await step(client, who["province"], case["id"], "transfer", 2))
    outsider = await step(client, who["jiayuguan"], case["id"], "return", 3, reason="非我辖区")
    assert outsider.status_code == 404  # not even visible outside the respondent's region
    returned = await ok(
        await step(client, who["lanzhou"], case["id"], "return", 3, reason="应由行业主管部门处理")
    )
    assert returned["status"] == "accepted"
    assert returned["department_id"] is None
    assert returned["deadline"]["clock"] == "transfer"
    same_route = await step(client, who["province"], case["id"], "transfer", 4)
    assert same_route.status_code == 422
    assert same_route.json()["code"] == "department_required_after_return"
    rerouted = await ok(
        await step(
            client, who["province"], case["id"], "transfer", 4, department_id="gs-620100-sme"
        )
    )
    assert rerouted["department_id"] == "gs-620100-sme"
    assert "complaints.case.returned.v1" in await event_types(client)


async def test_breaches_are_marked_once_escalated_and_queued_for_the_department(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    who = officers(bearer)
    late = await file(client, who)
    paused = await file(client, who, work_order_no="GS-2")
    await ok(await step(client, who["province"], paused["id"], "pause", 1, reason="补材料"))
    database = client.app.state.database  # type: ignore[attr-defined]
    move_to(business_clock, date(2026, 10, 14))
    assert await mark_overdue(database) == 0  # the last day is still in time
    queue = await ok(
        await client.get(f"{API}/departments/gs-province-sme/overdue", headers=who["province"])
    )
    assert queue["items"] == []
    move_to(business_clock, date(2026, 10, 15))
    assert await mark_overdue(database) == 1
    assert await mark_overdue(database) == 0
    queue = await ok(
        await client.get(f"{API}/departments/gs-province-sme/overdue", headers=who["province"])
    )
    assert [(i["case_id"], i["clock"], i["due_on"]) for i in queue["items"]] == [
        (late["id"], "accept", "2026-10-14")
    ]
    assert (await event_types(client)).count("complaints.case.overdue.v1") == 1
    lanzhou_queue = await client.get(
        f"{API}/departments/gs-province-sme/overdue", headers=who["lanzhou"]
    )
    assert lanzhou_queue.status_code == 404
    unknown = await client.get(f"{API}/departments/nowhere/overdue", headers=who["province"])
    assert unknown.status_code == 404 and unknown.json()["code"] == "department_not_found"


async def test_departments_are_reminded_once_two_working_days_before_a_deadline(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    who = officers(bearer)
    case = await file(client, who)  # acceptance due Wed 14 Oct
    database = client.app.state.database  # type: ignore[attr-defined]
    move_to(business_clock, date(2026, 10, 9))  # Fri: 10 (Sat, worked) and 12 Oct come first
    assert await remind_due_soon(database) == 0
    move_to(business_clock, date(2026, 10, 12))
    assert await remind_due_soon(database) == 1
    assert await remind_due_soon(database) == 0
    async with database.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT resource_id FROM audit_record WHERE action = 'remind'")
        )
        assert [r[0] for r in rows] == [case["id"]]


async def test_events_name_the_respondent_only_when_it_is_in_the_register(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    await file(
        client,
        who,
        **{
            "respondent.uscc": RESPONDENT,
            "respondent.type": "large_enterprise",
            "work_order_no": "GS-unknown",
        },
    )
    await register(client, RESPONDENT)
    await file(
        client,
        who,
        **{
            "respondent.uscc": RESPONDENT,
            "respondent.type": "large_enterprise",
            "work_order_no": "GS-known",
        },
    )
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(
            text("SELECT key FROM outbox_message WHERE event_type = 'complaints.case.received.v1'")
        )
        assert sorted(r[0] for r in rows) == sorted([COMPLAINANT, COMPLAINANT, RESPONDENT])


async def test_each_step_takes_its_own_fields(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    who = officers(bearer)
    case = await file(client, who)
    missing = await step(client, who["province"], case["id"], "not_accept", 1, remarks="x")
    assert missing.status_code == 422, missing.text
    assert (missing.json()["code"], missing.json()["field"]) == (
        "step_field_missing",
        "reason_code",
    )
    stray = await step(client, who["province"], case["id"], "accept", 1, satisfaction="satisfied")
    assert stray.status_code == 422, stray.text
    assert (stray.json()["code"], stray.json()["field"]) == (
        "step_field_not_allowed",
        "satisfaction",
    )
    unchanged = await ok(await client.get(f"{API}/cases/{case['id']}", headers=who["province"]))
    assert unchanged["version"] == 1
