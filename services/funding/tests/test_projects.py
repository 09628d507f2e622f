"""Subsidy projects (项目补助, seed 004 Hubei): declared with evidence, attested by the 市州 (属地),
re-checked and accepted by the province, then entitled at the amount the policy's rule gives,
through the entitlements module in the same transaction. Refusals are problem+json and change
nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, text

from services.funding.tests.entitlement_support import (
    URL,
    WAN,
    created_events,
    credit,
    database_of,
    entitlements_of,
    flags,
    grant,
    granted,
    known_enterprise,
)
from sme_common.testing.plugin import TokenFactory
from sme_funding.entitlements.models import EntitlementStep
from sme_funding.projects.models import ProjectStep

WUHAN, HUANGSHI = "420100", "420200"
PDF = b"%PDF-1.4 evidence"


class Hubei:
    """The callers of one Hubei project's chain: each a different person."""

    def __init__(self, bearer: TokenFactory, uscc: str) -> None:
        self.enterprise = bearer("enterprise", uscc=uscc, subject="ent:zhang")
        self.city = bearer("city_officer", region=WUHAN, subject="wuhan:li")
        self.other_city = bearer("city_officer", region=HUANGSHI, subject="huangshi:wang")
        self.province = bearer("province_officer", region="420000", subject="hubei:chen")
        self.province_2 = bearer("province_officer", region="420000", subject="hubei:zhao")


async def hubei_enterprise(
    client: httpx.AsyncClient, body: str, *, tier: str | None = "specialised"
) -> str:
    """An enterprise of 武汉 in funding's directory, holding a provincial title of ``tier``."""
    db = database_of(client)
    uscc = await known_enterprise(db, body, region=WUHAN, unit=WUHAN)
    if tier is not None:
        await grant(db, granted(uscc, f"cert_{body.lower()}", tier=tier))
    return uscc


async def call(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    status: int = 200,
) -> dict[str, Any]:
    response = await client.request(method, f"{URL}{path}", headers=headers, json=body)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    result: dict[str, Any] = response.json()
    return result


async def filed(
    client: httpx.AsyncClient,
    who: Hubei,
    uscc: str,
    *,
    policy: str = "HB-TECH-UPGRADE",
    spend_fen: int,
    investment_fen: int | None = None,
) -> dict[str, Any]:
    """A declared project, filed by the enterprise itself with one evidence document."""
    project = await call(
        client,
        "POST",
        "/projects",
        who.enterprise,
        {
            "uscc": uscc,
            "policy_code": policy,
            "title": "数控加工中心技术改造",
            "period_from_on": "2025-01-01",
            "period_to_on": "2025-12-31",
            "eligible_spend_fen": spend_fen,
            "total_investment_fen": investment_fen,
        },
        status=201,
    )
    assert project["status"] == "draft"
    upload = await client.post(
        f"{URL}/projects/{project['id']}/evidence?kind=invoice&filename=invoices.pdf",
        headers={**who.enterprise, "Content-Type": "application/pdf"},
        content=PDF,
    )
    assert upload.status_code == 201, upload.text
    return await call(
        client,
        "POST",
        f"/projects/{project['id']}/declare",
        who.enterprise,
        {"version": project["version"] + 1},
    )


async def to_compliance_checked(
    client: httpx.AsyncClient, who: Hubei, project: dict[str, Any]
) -> dict[str, Any]:
    pid = project["id"]
    project = await call(
        client, "POST", f"/projects/{pid}/attest", who.city, {"version": project["version"]}
    )
    assert project["status"] == "attested" and project["attested_by"] == "wuhan:li"
    project = await call(
        client,
        "POST",
        f"/projects/{pid}/compliance-check",
        who.province,
        {"version": project["version"]},
    )
    assert project["status"] == "compliance_checked"
    return project


async def test_hubei_technical_upgrade_runs_to_an_8_percent_entitlement_capped_at_1000_wan(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00001")
    who = Hubei(bearer, uscc)
    # 15000万 of equipment in a 20000万 project: 8% is 1200万, capped at 1000万.
    project = await filed(client, who, uscc, spend_fen=15_000 * WAN, investment_fen=20_000 * WAN)
    assert project["status"] == "declared" and project["filed_by"] == "ent:zhang"
    project = await to_compliance_checked(client, who, project)
    pid = project["id"]
    project = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {"eligible_spend_fen": 15_000 * WAN, "version": project["version"]},
    )
    assert project["status"] == "spend_accepted"
    assert project["amount_fen"] == 1_000 * WAN
    assert [line["code"] for line in project["explanation"]] == ["share_of_spend", "capped"]
    # the officer who accepted the spend does not also confirm the entitlement
    refused = await call(
        client,
        "POST",
        f"/projects/{pid}/entitle",
        who.province,
        {"version": project["version"]},
        status=403,
    )
    assert refused["code"] == "maker_checker"
    project = await call(
        client, "POST", f"/projects/{pid}/entitle", who.province_2, {"version": project["version"]}
    )
    assert project["status"] == "entitled"
    db = database_of(client)
    [entitlement] = [e for e in await entitlements_of(db, uscc) if e.certificate_id is None]
    assert entitlement.id == project["entitlement_id"]
    assert entitlement.trigger_key == f"HB-TECH-UPGRADE:project:{pid}"
    assert (entitlement.amount_fen, entitlement.status) == (1_000 * WAN, "pending_approval")
    assert (entitlement.fund_code, entitlement.region_code) == ("technical-upgrade-fund", WUHAN)
    async with db.sessionmaker() as session:
        steps = (
            await session.scalars(
                select(ProjectStep.action)
                .where(ProjectStep.project_id == pid)
                .order_by(ProjectStep.id)
            )
        ).all()
        first = await session.scalar(
            select(EntitlementStep.to_status).where(
                EntitlementStep.entitlement_id == entitlement.id
            )
        )
    assert list(steps) == [
        "create",
        "add_evidence",
        "declare",
        "attest",
        "check_compliance",
        "accept_spend",
        "entitle",
    ]
    assert first == "pending_approval"
    async with db.sessionmaker() as session:
        audited = (
            await session.execute(
                text(
                    "SELECT action, actor_subject FROM audit_record"
                    " WHERE resource_type = 'subsidy_project' AND resource_id = :p"
                    " AND action LIKE 'project.%' ORDER BY position"
                ),
                {"p": pid},
            )
        ).all()
    assert [tuple(row) for row in audited][-4:] == [
        ("project.attest", "wuhan:li"),
        ("project.check_compliance", "hubei:chen"),
        ("project.accept_spend", "hubei:chen"),
        ("project.entitle", "hubei:zhao"),
    ]
    # the enterprise sees its project and the steps; entitling twice is a status conflict
    seen = await call(client, "GET", f"/projects/{pid}/steps", who.enterprise)
    assert [s["actor_role"] for s in seen["items"]][-1] == "province_officer"
    again = await call(
        client,
        "POST",
        f"/projects/{pid}/entitle",
        who.province_2,
        {"version": project["version"]},
        409,
    )
    assert again["code"] == "project_status_conflict"


async def test_a_credit_flag_blocks_the_project_entitlement(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00002")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=5_000 * WAN, investment_fen=6_000 * WAN)
    project = await to_compliance_checked(client, who, project)
    pid = project["id"]
    project = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {"eligible_spend_fen": 4_000 * WAN, "version": project["version"]},
    )
    assert project["amount_fen"] == 320 * WAN  # 8% of the accepted 4000万, not the declared 5000万
    await credit(
        database_of(client), flags(uscc, "flag_1", "major_accident", "raised", ["major_accident"])
    )
    project = await call(
        client, "POST", f"/projects/{pid}/entitle", who.province_2, {"version": project["version"]}
    )
    [entitlement] = [
        e for e in await entitlements_of(database_of(client), uscc) if e.certificate_id is None
    ]
    assert (entitlement.status, entitlement.blocked_reason) == ("blocked", ["major_accident"])
    [event] = [e for e in await created_events(database_of(client)) if e["uscc"] == uscc]
    assert (event["entitlement_id"], event["status"]) == (entitlement.id, "blocked")
    assert (event["amount_fen"], event["certificate_id"]) == (320 * WAN, None)


async def test_total_investment_below_1000_wan_is_refused_at_acceptance_and_changes_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00003")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=800 * WAN, investment_fen=1_200 * WAN)
    project = await to_compliance_checked(client, who, project)
    pid = project["id"]
    problem = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {
            "eligible_spend_fen": 800 * WAN,
            "total_investment_fen": 999 * WAN,
            "version": project["version"],
        },
        status=422,
    )
    assert (problem["code"], problem["field"]) == (
        "investment_below_threshold",
        "total_investment_fen",
    )
    after = await call(client, "GET", f"/projects/{pid}", who.province)
    assert after == project
    # at the threshold itself (达到 … 以上) it is accepted
    accepted = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {
            "eligible_spend_fen": 800 * WAN,
            "total_investment_fen": 1_000 * WAN,
            "version": project["version"],
        },
    )
    assert accepted["amount_fen"] == 64 * WAN
    # and declaring below the threshold is refused before anyone reviews it
    low = await call(
        client,
        "POST",
        "/projects",
        who.enterprise,
        {
            "uscc": uscc,
            "policy_code": "HB-TECH-UPGRADE",
            "title": "小型技改",
            "period_from_on": "2025-01-01",
            "period_to_on": "2025-06-30",
            "eligible_spend_fen": 500 * WAN,
            "total_investment_fen": 900 * WAN,
        },
        status=201,
    )
    await client.post(
        f"{URL}/projects/{low['id']}/evidence?kind=invoice&filename=a.pdf",
        headers={**who.enterprise, "Content-Type": "application/pdf"},
        content=PDF,
    )
    refused = await call(
        client, "POST", f"/projects/{low['id']}/declare", who.enterprise, {"version": 2}, 422
    )
    assert refused["code"] == "investment_below_threshold"


async def test_rd_platform_takes_a_raised_15_percent_rate_and_refuses_25(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00004", tier="little_giant")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, policy="HB-RD-PLATFORM", spend_fen=3_000 * WAN)
    project = await to_compliance_checked(client, who, project)
    pid = project["id"]
    too_high = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {"eligible_spend_fen": 3_000 * WAN, "rate_ratio": "0.25", "version": project["version"]},
        status=422,
    )
    assert (too_high["code"], too_high["field"]) == ("rate_above_maximum", "rate_ratio")
    assert (await call(client, "GET", f"/projects/{pid}", who.province)) == project
    project = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {"eligible_spend_fen": 3_000 * WAN, "rate_ratio": "0.15", "version": project["version"]},
    )
    assert project["amount_fen"] == 450 * WAN  # 15% of 3000万, under the 500万 cap
    assert "rate_raised" in [line["code"] for line in project["explanation"]]
    project = await call(
        client, "POST", f"/projects/{pid}/entitle", who.province_2, {"version": project["version"]}
    )
    [entitlement] = [
        e for e in await entitlements_of(database_of(client), uscc) if e.certificate_id is None
    ]
    assert (entitlement.policy_code, entitlement.amount_fen) == ("HB-RD-PLATFORM", 450 * WAN)


async def test_industrial_internet_node_amount_is_set_by_the_officer_up_to_100_wan(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00005")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, policy="HB-IIOT-NODE", spend_fen=300 * WAN)
    project = await to_compliance_checked(client, who, project)
    pid = project["id"]
    body = {"eligible_spend_fen": 300 * WAN, "version": project["version"]}
    over = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {**body, "amount_fen": 101 * WAN},
        422,
    )
    assert over["code"] == "amount_above_cap"
    missing = await call(client, "POST", f"/projects/{pid}/acceptance", who.province, body, 422)
    assert missing["code"] == "amount_required"
    done = await call(
        client,
        "POST",
        f"/projects/{pid}/acceptance",
        who.province,
        {**body, "amount_fen": 100 * WAN},
    )
    assert done["amount_fen"] == 100 * WAN


async def test_the_enterprise_files_its_own_project_but_cannot_attest_or_review_it(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00006")
    other = await hubei_enterprise(client, "HBP00007")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=2_000 * WAN, investment_fen=3_000 * WAN)
    pid, version = project["id"], project["version"]
    for path in ("attest", "compliance-check", "entitle"):
        refused = await call(
            client, "POST", f"/projects/{pid}/{path}", who.enterprise, {"version": version}, 403
        )
        assert refused["code"] == "role_forbidden"
    # not for another enterprise
    foreign = await call(
        client,
        "POST",
        "/projects",
        who.enterprise,
        {
            "uscc": other,
            "policy_code": "HB-TECH-UPGRADE",
            "title": "冒名申报",
            "period_from_on": "2025-01-01",
            "period_to_on": "2025-12-31",
            "eligible_spend_fen": 2_000 * WAN,
        },
        status=404,
    )
    assert foreign["code"] == "enterprise_not_found"
    # a province officer does not attest (属地: the 市州 or county does)
    refused = await call(
        client, "POST", f"/projects/{pid}/attest", who.province, {"version": version}, 403
    )
    assert refused["code"] == "role_forbidden"
    # an officer who filed a project does not attest it
    filed_by_city = await call(
        client,
        "POST",
        "/projects",
        who.city,
        {
            "uscc": uscc,
            "policy_code": "HB-TECH-UPGRADE",
            "title": "代为申报",
            "period_from_on": "2025-01-01",
            "period_to_on": "2025-12-31",
            "eligible_spend_fen": 2_000 * WAN,
            "total_investment_fen": 3_000 * WAN,
        },
        status=201,
    )
    await client.post(
        f"{URL}/projects/{filed_by_city['id']}/evidence?kind=contract&filename=c.pdf",
        headers={**who.city, "Content-Type": "application/pdf"},
        content=PDF,
    )
    declared = await call(
        client, "POST", f"/projects/{filed_by_city['id']}/declare", who.city, {"version": 2}
    )
    same = await call(
        client,
        "POST",
        f"/projects/{filed_by_city['id']}/attest",
        who.city,
        {"version": declared["version"]},
        403,
    )
    assert same["code"] == "maker_checker"


async def test_the_one_who_attested_cannot_recheck_compliance(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00008")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=2_000 * WAN, investment_fen=3_000 * WAN)
    pid = project["id"]
    project = await call(
        client, "POST", f"/projects/{pid}/attest", who.city, {"version": project["version"]}
    )
    # the same person, now holding a province token
    same = bearer("province_officer", region="420000", subject="wuhan:li")
    refused = await call(
        client,
        "POST",
        f"/projects/{pid}/compliance-check",
        same,
        {"version": project["version"]},
        403,
    )
    assert refused["code"] == "maker_checker"
    assert (await call(client, "GET", f"/projects/{pid}", who.city))["status"] == "attested"


async def test_officers_of_another_region_neither_see_nor_attest_the_project(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00009")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=2_000 * WAN, investment_fen=3_000 * WAN)
    pid = project["id"]
    missing = await call(client, "GET", f"/projects/{pid}", who.other_city, status=404)
    assert missing["code"] == "project_not_found"
    refused = await call(
        client,
        "POST",
        f"/projects/{pid}/attest",
        who.other_city,
        {"version": project["version"]},
        404,
    )
    assert refused["code"] == "project_not_found"
    gansu = bearer("province_officer", region="620000")
    assert (await call(client, "GET", "/projects", gansu))["items"] == []
    assert [p["id"] for p in (await call(client, "GET", "/projects", who.city))["items"]] == [pid]
    assert (await call(client, "GET", "/projects", who.other_city))["items"] == []
    # an officer cannot file for an enterprise outside its region
    outside = await call(
        client,
        "POST",
        "/projects",
        who.other_city,
        {
            "uscc": uscc,
            "policy_code": "HB-TECH-UPGRADE",
            "title": "越权申报",
            "period_from_on": "2025-01-01",
            "period_to_on": "2025-12-31",
            "eligible_spend_fen": 2_000 * WAN,
        },
        status=404,
    )
    assert outside["code"] == "enterprise_not_found"


async def test_a_stale_version_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00010")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=2_000 * WAN, investment_fen=3_000 * WAN)
    pid = project["id"]
    stale = await call(
        client,
        "POST",
        f"/projects/{pid}/attest",
        who.city,
        {"version": project["version"] - 1},
        409,
    )
    assert (stale["code"], stale["current_version"]) == ("version_conflict", project["version"])
    missing = await call(client, "POST", f"/projects/{pid}/attest", who.city, {}, 409)
    assert missing["code"] == "version_required"
    assert (await call(client, "GET", f"/projects/{pid}", who.city)) == project


async def test_a_returned_project_carries_remarks_per_field_and_is_declared_again(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00011")
    who = Hubei(bearer, uscc)
    project = await filed(client, who, uscc, spend_fen=2_000 * WAN, investment_fen=3_000 * WAN)
    pid = project["id"]
    # the province does not return what the 市州 has not attested yet
    early = await call(
        client,
        "POST",
        f"/projects/{pid}/return",
        who.province,
        {"field_remarks": {"eligible_spend_fen": "发票不全"}, "version": project["version"]},
        403,
    )
    assert early["code"] == "project_step_forbidden"
    project = await call(
        client,
        "POST",
        f"/projects/{pid}/return",
        who.city,
        {"field_remarks": {"eligible_spend_fen": "发票不全"}, "version": project["version"]},
    )
    assert project["status"] == "returned"
    assert project["remarks"] == {"eligible_spend_fen": "发票不全"}
    project = await call(
        client,
        "PATCH",
        f"/projects/{pid}",
        who.enterprise,
        {"eligible_spend_fen": 1_800 * WAN, "version": project["version"]},
    )
    project = await call(
        client, "POST", f"/projects/{pid}/declare", who.enterprise, {"version": project["version"]}
    )
    assert (project["status"], project["remarks"]) == ("declared", {})
    assert project["declared_eligible_spend_fen"] == 1_800 * WAN
    rejected = await call(
        client,
        "POST",
        f"/projects/{pid}/reject",
        who.city,
        {"reason": "项目不属实", "version": project["version"]},
    )
    assert rejected["status"] == "rejected"
    closed = await call(
        client,
        "POST",
        f"/projects/{pid}/attest",
        who.city,
        {"version": rejected["version"]},
        409,
    )
    assert closed["code"] == "project_status_conflict"


async def test_filing_needs_a_policy_of_the_province_evidence_and_the_title(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = await hubei_enterprise(client, "HBP00012", tier=None)
    who = Hubei(bearer, uscc)
    body = {
        "uscc": uscc,
        "policy_code": "HB-XJR-NATIONAL",  # a certificate award, not a project policy
        "title": "技改",
        "period_from_on": "2025-01-01",
        "period_to_on": "2025-12-31",
        "eligible_spend_fen": 2_000 * WAN,
        "total_investment_fen": 3_000 * WAN,
    }
    wrong = await call(client, "POST", "/projects", who.enterprise, body, 422)
    assert (wrong["code"], wrong["field"]) == ("policy_not_available", "policy_code")
    project = await call(
        client, "POST", "/projects", who.enterprise, {**body, "policy_code": "HB-TECH-UPGRADE"}, 201
    )
    pid = project["id"]
    bare = await call(
        client, "POST", f"/projects/{pid}/declare", who.enterprise, {"version": 1}, 422
    )
    assert bare["code"] == "evidence_required"
    bad = await client.post(
        f"{URL}/projects/{pid}/evidence?kind=invoice&filename=x.exe",
        headers={**who.enterprise, "Content-Type": "application/octet-stream"},
        content=b"MZ",
    )
    assert bad.status_code == 422 and bad.json()["code"] == "evidence_type_unsupported"
    upload = await client.post(
        f"{URL}/projects/{pid}/evidence?kind=invoice&filename=x.pdf",
        headers={**who.enterprise, "Content-Type": "application/pdf"},
        content=PDF,
    )
    assert upload.status_code == 201
    evidence_id = upload.json()["id"]
    content = await client.get(f"{URL}/projects/{pid}/evidence/{evidence_id}", headers=who.city)
    assert content.status_code == 200 and content.content == PDF
    untitled = await call(
        client, "POST", f"/projects/{pid}/declare", who.enterprise, {"version": 2}, 422
    )
    assert (untitled["code"], untitled["field"]) == ("holder_tier_required", "uscc")
    assert (await call(client, "GET", f"/projects/{pid}", who.enterprise))["status"] == "draft"
