"""Who sees which case: the hotline its own channel's, officers the cases whose respondent is in
their region, an enterprise the cases it filed; the complainant's contact only the accepting and
handling officers, every read of it audited."""

from __future__ import annotations

import httpx

from services.complaints.tests.support import (
    API,
    COMPLAINANT,
    HOTLINE_SCOPES,
    RESPONDENT,
    audit_reads,
    complaint,
    step,
)
from sme_common.testing.plugin import TokenFactory


async def test_each_caller_sees_only_its_scope(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    hotline = bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-12345")
    filed = await client.post(f"{API}/cases", headers=hotline, json=complaint())
    assert filed.status_code == 201, filed.text
    path = f"{API}/cases/{filed.json()['id']}"
    sees = {
        "own hotline": (hotline, 200),
        "other hotline": (bearer("hotline", scopes=HOTLINE_SCOPES, client_id="other"), 404),
        "hotline without scope": (bearer("hotline", client_id="hotline-12345"), 403),
        "agency of another channel": (
            bearer("agency_system", region="620000", scopes=HOTLINE_SCOPES, client_id="x"),
            404,
        ),
        "province": (bearer("province_officer", region="620000"), 200),
        "respondent's city": (bearer("city_officer", region="620100"), 200),
        "respondent's county": (bearer("county_officer", region="620102"), 200),
        "another city": (bearer("city_officer", region="620200"), 404),
        "another county": (bearer("county_officer", region="620103"), 404),
        "complainant": (bearer("enterprise", uscc=COMPLAINANT), 200),
        "respondent enterprise": (bearer("enterprise", uscc=RESPONDENT), 404),
        "bank": (bearer("bank", region="620000", scopes=HOTLINE_SCOPES), 403),
        "no token": ({}, 401),
    }
    for who, (headers, status) in sees.items():
        answer = await client.get(path, headers=headers)
        assert answer.status_code == status, (who, answer.text)
        if status == 200:
            assert "contact" not in answer.text and "13800000000" not in answer.text, who
        listed = await client.get(f"{API}/cases", headers=headers)
        if status in (200, 404):
            assert len(listed.json()["items"]) == (1 if status == 200 else 0), who


async def test_the_complainant_contact_is_for_accepting_and_handling_officers_and_audited(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    hotline = bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-12345")
    province = bearer("province_officer", region="620000")
    lanzhou = bearer("city_officer", region="620100")
    case = (await client.post(f"{API}/cases", headers=hotline, json=complaint())).json()
    path = f"{API}/cases/{case['id']}/complainant-contact"

    read = await client.get(path, headers=province)
    assert read.status_code == 200, read.text
    assert read.json() == {"case_id": case["id"], "name": "张三", "phone": "13800000000"}
    # Before the case reaches its department, the city's officers are not its handlers.
    early = await client.get(path, headers=lanzhou)
    assert early.status_code == 403 and early.json()["code"] == "complainant_contact_forbidden"
    for refused in (
        bearer("enterprise", uscc=RESPONDENT),
        bearer("enterprise", uscc=COMPLAINANT),
        hotline,
        bearer("platform_admin"),
    ):
        answer = await client.get(path, headers=refused)
        assert answer.status_code == 403, answer.text
        assert answer.json()["code"] == "role_forbidden"
    await step(client, province, case["id"], "accept", 1)
    await step(client, province, case["id"], "transfer", 2)
    handling = await client.get(path, headers=lanzhou)
    assert handling.status_code == 200, handling.text
    # Each authorised read is recorded (the refused 403 by role is not; the attempt the service
    # refused is, as an attempt).
    assert await audit_reads(client, "complaint_complainant") == [case["id"]] * 3
