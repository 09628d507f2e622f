"""Enterprise push (名单和信贷产品目录推送给专精特新企业, seed 000 (十三)) as an enterprise and the
province meet it: each titled enterprise is pushed, once per period, its own list entry, the
institutions whose snapshots of the period include it and the products it is eligible for, with
reasons; it sees its own pushes only, acknowledges them once, and every read of its is logged."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from certified_support import grant, revoke
from finance_support import (
    API,
    BANK_A_USCC,
    audit_count,
    create_institution,
    create_product,
    institution_client,
    officer,
    register_enterprise,
    size_class_decided,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sme_common.clock import FixedClock
from sme_common.db import UnitOfWork
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_finance_matching.lists import service as lists
from sme_finance_matching.lists import worker
from sme_finance_matching.lists.domain import Schedule
from sme_finance_matching.lists.signing import signer_for
from sme_finance_matching.pushes import service as pushes

LANZHOU = make_uscc(region="620102", body="EP000001")
"""专精特新 in 兰州 (620100), manufacturing (C3484): in bank A's scope."""
INNOVATIVE = make_uscc(region="620102", body="EP000002")
"""创新型 in 兰州: a tier bank A does not serve."""
JIAYUGUAN = make_uscc(region="620202", body="EP000003")
"""专精特新 in 嘉峪关 (620200): outside bank A's 市州."""
REVOKED = make_uscc(region="620102", body="EP000004")
UNREGISTERED = make_uscc(region="620102", body="EP000005")
"""Certified, but not (yet) in finance-matching's enterprise directory."""
FARM = make_uscc(region="620102", body="EP000006")
"""专精特新 in 兰州 with no industry code in the register."""


def canonical_sha256(content: dict[str, Any]) -> str:
    body = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


async def population(client: httpx.AsyncClient) -> None:
    await register_enterprise(client, LANZHOU)
    await register_enterprise(client, INNOVATIVE)
    await register_enterprise(client, JIAYUGUAN, region_code="620202", reporting_unit_code="620200")
    await register_enterprise(client, REVOKED)
    await register_enterprise(client, FARM, industry_code=None)
    await grant(client, LANZHOU, "cert_lz")
    await grant(client, INNOVATIVE, "cert_inno", tier="innovative")
    await grant(client, JIAYUGUAN, "cert_jyg")
    await grant(client, REVOKED, "cert_rev")
    await revoke(client, REVOKED, "cert_rev")
    await grant(client, UNREGISTERED, "cert_unreg")
    await grant(client, FARM, "cert_farm")


async def catalogue(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, str]:
    """Bank A (兰州, 专精特新 and 小巨人) with five products, one of each kind of restriction."""
    await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a", name="甘肃测试银行")
    bank_a = institution_client(bearer, "bank-a")
    made = {
        "sized": await create_product(client, bank_a, status="active"),
        "giants": await create_product(
            client, bank_a, status="active", eligible_tiers=["little_giant"]
        ),
        "open": await create_product(
            client,
            bank_a,
            status="active",
            eligible_tiers=[],
            eligible_industry_sections=[],
            eligible_region_codes=[],
            eligible_size_classes=[],
        ),
        "jiayuguan": await create_product(
            client,
            bank_a,
            status="active",
            eligible_tiers=[],
            eligible_industry_sections=[],
            eligible_region_codes=["620200"],
            eligible_size_classes=[],
        ),
        "farming": await create_product(
            client, bank_a, status="active", eligible_industry_sections=["A"]
        ),
        "draft": await create_product(client, bank_a, eligible_tiers=[]),
    }
    return {name: product["id"] for name, product in made.items()}


async def schedule_run(client: httpx.AsyncClient) -> pushes.PushReport:
    """The scheduled run as the worker makes it: the banks' snapshots, then the pushes."""
    database = client.app.state.database  # type: ignore[attr-defined]
    await lists.publish_due(database, schedule=Schedule.MONTHLY, signer=signer_for(None))
    return await pushes.publish_due(database, schedule=Schedule.MONTHLY)


async def push_of(client: httpx.AsyncClient, headers: dict[str, str], uscc: str) -> dict[str, Any]:
    listed = await client.get(f"{API}/enterprise-pushes", params={"uscc": uscc}, headers=headers)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()["items"]
    got = await client.get(f"{API}/enterprise-pushes/{item['id']}", headers=headers)
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


async def scalar(client: httpx.AsyncClient, sql: str, **params: Any) -> Any:
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        return (await uow.session.execute(text(sql), params)).scalar_one()


async def test_each_titled_enterprise_is_pushed_its_entry_its_institutions_and_its_products(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await population(client)
    ids = await catalogue(client, bearer)
    report = await schedule_run(client)
    assert (report.period, report.published, report.skipped) == ("2026-11", 4, 0)

    province = officer(bearer)
    lanzhou = await push_of(client, province, LANZHOU)
    content = lanzhou["content"]
    assert lanzhou["content_sha256"] == canonical_sha256(content)
    assert content["entry"] == {
        "uscc": LANZHOU,
        "name": f"融资测试企业{LANZHOU[-3:]}",
        "tier": "specialised",
        "level": "provincial",
        "certificate_id": "cert_lz",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-09",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3484",
        "size_class": None,
    }
    # Bank A's snapshot of the month includes it (its 市州, its tier): named, with its kind.
    assert content["institutions"] == [{"name": "甘肃测试银行", "kind": "bank"}]
    offered = {p["id"]: p for p in content["products"]}
    # Its tier, section C and 兰州 meet the product's restrictions; the size class is not known
    # to the platform, so it is left to the bank, not held against the enterprise.
    assert set(offered) == {ids["sized"], ids["open"]}
    sized = offered[ids["sized"]]
    assert sized["to_confirm"] == ["size"]
    assert "specialised" in sized["reason"] and "620100" in sized["reason"]
    assert "企业规模" in sized["reason_zh"] and "由金融机构核实" in sized["reason_zh"]
    assert sized["institution_name"] == "甘肃测试银行" and sized["min_rate_ratio"] == "0.03"
    assert offered[ids["open"]]["to_confirm"] == []
    assert offered[ids["open"]]["reason"] == (
        "the product is open to any tier, industry, 市州 and size"
    )
    assert (lanzhou["institution_count"], lanzhou["product_count"]) == (1, 2)

    # Outside bank A's 市州: no institution received it; the 嘉峪关 product is its.
    jiayuguan = (await push_of(client, province, JIAYUGUAN))["content"]
    assert jiayuguan["institutions"] == []
    assert {p["id"] for p in jiayuguan["products"]} == {ids["open"], ids["jiayuguan"]}
    # 创新型: neither a tier bank A serves nor one the 专精特新 products are for.
    innovative = (await push_of(client, province, INNOVATIVE))["content"]
    assert innovative["institutions"] == []
    assert {p["id"] for p in innovative["products"]} == {ids["open"]}
    # No industry in the register: the section-C and section-A products are both to confirm.
    farm = {p["id"]: p for p in (await push_of(client, province, FARM))["content"]["products"]}
    assert farm[ids["farming"]]["to_confirm"] == ["industry", "size"]
    assert farm[ids["sized"]]["to_confirm"] == ["industry", "size"]
    assert ids["giants"] not in farm and ids["draft"] not in farm

    pushed = await client.get(f"{API}/enterprise-pushes", headers=province)
    assert {p["uscc"] for p in pushed.json()["items"]} == {LANZHOU, INNOVATIVE, JIAYUGUAN, FARM}


async def test_a_size_class_registry_decided_is_checked_not_left_to_the_bank(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await population(client)
    ids = await catalogue(client, bearer)
    # The "sized" and "farming" products are for small and medium enterprises: a small one is
    # offered "sized" (its tier, section and 市州 fit) with nothing to confirm; a large one
    # neither.
    await size_class_decided(client, LANZHOU, "small")
    await size_class_decided(client, FARM, "large")
    await schedule_run(client)
    province = officer(bearer)
    lanzhou = (await push_of(client, province, LANZHOU))["content"]
    assert lanzhou["entry"]["size_class"] == "small"
    sized = {p["id"]: p for p in lanzhou["products"]}[ids["sized"]]
    assert sized["to_confirm"] == []
    assert "small" in sized["reason"]
    farm = {p["id"]: p for p in (await push_of(client, province, FARM))["content"]["products"]}
    # Large: neither product for small and medium enterprises; the open one still, unreserved.
    assert ids["sized"] not in farm and ids["farming"] not in farm
    assert farm[ids["open"]]["to_confirm"] == []


async def test_the_schedule_pushes_each_enterprise_once_per_period_and_publishes_each_push(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    await population(client)
    first = await schedule_run(client)
    again = await schedule_run(client)
    assert (first.published, again.published, again.skipped) == (4, 0, 0)
    outbox = "SELECT count(*) FROM outbox_message WHERE topic = 'finance-matching.enterprise-push'"
    assert await scalar(client, outbox) == 4
    assert await scalar(client, "SELECT count(*) FROM enterprise_push") == 4
    assert await audit_count(client, "enterprise_push") == 4

    # A title granted later in the month is pushed by the next hourly check, alone.
    await register_enterprise(client, UNREGISTERED)
    late = await pushes.publish_due(
        client.app.state.database,  # type: ignore[attr-defined]
        schedule=Schedule.MONTHLY,
    )
    assert (late.published, late.skipped) == (1, 0)

    business_clock.advance(timedelta(days=7))  # 3 December: the next period
    december = await schedule_run(client)
    assert (december.period, december.published) == ("2026-12", 5)
    periods = await scalar(
        client,
        "SELECT string_agg(DISTINCT period, ',' ORDER BY period) FROM enterprise_push "
        "WHERE uscc = :u",
        u=LANZHOU,
    )
    assert periods == "2026-11,2026-12"
    database = client.app.state.database  # type: ignore[attr-defined]
    off = await pushes.publish_due(database, schedule=Schedule.OFF)
    assert (off.period, off.published) == (None, 0)


async def test_the_worker_pushes_the_enterprises_after_the_bank_snapshots(
    client: httpx.AsyncClient, bearer: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    await population(client)
    await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a", name="甘肃测试银行")
    stop = asyncio.Event()

    async def one_step_only(event: asyncio.Event, seconds: float) -> None:
        event.set()

    monkeypatch.setattr(worker, "sleep_or_stop", one_step_only)
    app = client.app  # type: ignore[attr-defined]
    await asyncio.wait_for(
        worker.lists_publish_task(app.state.settings, app.state.database, stop), timeout=30
    )
    assert await scalar(client, "SELECT count(*) FROM list_snapshot") == 1
    assert await scalar(client, "SELECT count(*) FROM enterprise_push") == 4
    lanzhou = await push_of(client, officer(bearer), LANZHOU)
    assert lanzhou["trigger"] == "scheduled"
    assert lanzhou["content"]["institutions"] == [{"name": "甘肃测试银行", "kind": "bank"}]


async def test_the_province_pushes_on_demand_once_per_key_and_once_per_period(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await population(client)
    province = {**officer(bearer), "Idempotency-Key": "push-run-1"}
    url = f"{API}/enterprise-push-runs"
    made = await client.post(url, json={}, headers=province)
    assert made.status_code == 200, made.text
    assert made.json() == {
        "period": "2026-11",
        "trigger": "on_demand",
        "published": 4,
        "skipped": 0,
    }
    replayed = await client.post(url, json={}, headers=province)
    assert replayed.json() == made.json()
    assert replayed.headers["idempotent-replayed"] == "true"
    reused = await client.post(url, json={"uscc": LANZHOU}, headers=province)
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"

    admin = bearer("platform_admin")
    again = await client.post(url, json={"uscc": LANZHOU}, headers=admin)
    assert again.json()["published"] == 0 and again.json()["skipped"] == 1
    assert await scalar(client, "SELECT count(*) FROM enterprise_push") == 4
    assert (await client.get(f"{API}/enterprise-pushes", headers=admin)).json()["items"][0][
        "trigger"
    ] == "on_demand"

    refused = await client.post(url, json={"uscc": REVOKED}, headers=admin)
    assert refused.status_code == 422 and refused.json()["code"] == "enterprise_not_certified"
    unknown = await client.post(url, json={"uscc": UNREGISTERED}, headers=admin)
    assert unknown.status_code == 404 and unknown.json()["code"] == "enterprise_not_found"
    city = officer(bearer, region="620100", role="city_officer")
    assert (await client.post(url, json={}, headers=city)).status_code == 403


async def test_an_enterprise_sees_its_own_pushes_only_and_officers_their_region(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await population(client)
    await schedule_run(client)
    province = officer(bearer)
    own = await push_of(client, province, LANZHOU)
    other = await push_of(client, province, JIAYUGUAN)

    enterprise = bearer("enterprise", uscc=LANZHOU)
    listed = await client.get(f"{API}/enterprise-pushes", headers=enterprise)
    assert [p["id"] for p in listed.json()["items"]] == [own["id"]]
    asked = await client.get(
        f"{API}/enterprise-pushes", params={"uscc": JIAYUGUAN}, headers=enterprise
    )
    assert asked.json()["items"] == []
    assert (await client.get(f"{API}/enterprise-pushes/{own['id']}", headers=enterprise)).json()[
        "content"
    ] == own["content"]
    for path in (f"/{other['id']}", f"/{other['id']}/ack"):
        method = "POST" if path.endswith("ack") else "GET"
        hidden = await client.request(method, f"{API}/enterprise-pushes{path}", headers=enterprise)
        assert hidden.status_code == 404 and hidden.json()["code"] == "enterprise_push_not_found"

    lanzhou_city = officer(bearer, region="620100", role="city_officer")
    seen = await client.get(f"{API}/enterprise-pushes", headers=lanzhou_city)
    assert {p["uscc"] for p in seen.json()["items"]} == {LANZHOU, INNOVATIVE, FARM}
    assert (
        await client.get(f"{API}/enterprise-pushes/{other['id']}", headers=lanzhou_city)
    ).status_code == 404
    jiayuguan_city = officer(bearer, region="620200", role="city_officer")
    chengguan_county = officer(bearer, region="620102", role="county_officer")
    for headers, inside, outside in (
        (jiayuguan_city, other, own),
        (chengguan_county, own, other),
    ):
        url = f"{API}/enterprise-pushes/"
        assert (await client.get(url + inside["id"], headers=headers)).status_code == 200
        assert (await client.get(url + outside["id"], headers=headers)).status_code == 404

    # Institutions and the hotline are refused: a bank is sent its own snapshots, not these.
    await create_institution(client, province, BANK_A_USCC, "bank-a")
    for refused in (
        institution_client(bearer, "bank-a"),
        bearer("hotline", region="620000", scopes=("finance:read", "finance:write")),
    ):
        for method, path in (
            ("GET", "/enterprise-pushes"),
            ("GET", f"/enterprise-pushes/{own['id']}"),
            ("POST", f"/enterprise-pushes/{own['id']}/ack"),
            ("POST", "/enterprise-push-runs"),
        ):
            got = await client.request(method, API + path, headers=refused, json={})
            assert got.status_code == 403, (method, path, got.text)
            assert got.json()["code"] == "role_forbidden"


async def test_pages_run_newest_first_with_a_cursor(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await population(client)
    await schedule_run(client)
    province = officer(bearer)
    first = (await client.get(f"{API}/enterprise-pushes?limit=3", headers=province)).json()
    rest = await client.get(
        f"{API}/enterprise-pushes",
        params={"limit": 3, "cursor": first["next_cursor"]},
        headers=province,
    )
    assert rest.json()["next_cursor"] is None
    ids = [p["id"] for p in first["items"]] + [p["id"] for p in rest.json()["items"]]
    assert len(ids) == len(set(ids)) == 4
    forged = await client.get(f"{API}/enterprise-pushes?cursor=abc", headers=province)
    assert forged.status_code == 422 and forged.json()["code"] == "cursor_invalid"
    periods = await client.get(f"{API}/enterprise-pushes?period=2026-10", headers=province)
    assert periods.json()["items"] == []
    bad = await client.get(f"{API}/enterprise-pushes?period=november", headers=province)
    assert bad.status_code == 422


async def test_the_enterprise_acknowledges_once_and_every_read_of_its_is_logged(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    await population(client)
    await schedule_run(client)
    province = officer(bearer)
    push = await push_of(client, province, LANZHOU)
    assert push["first_read_at"] is None  # officers' reads are not the enterprise's
    assert await scalar(client, "SELECT count(*) FROM enterprise_push_read") == 0

    enterprise = bearer("enterprise", uscc=LANZHOU)
    await client.get(f"{API}/enterprise-pushes", headers=enterprise)
    read = (await client.get(f"{API}/enterprise-pushes/{push['id']}", headers=enterprise)).json()
    assert read["first_read_at"] is not None and read["acknowledged_at"] is None
    kinds = await scalar(
        client, "SELECT string_agg(kind, ',' ORDER BY id) FROM enterprise_push_read"
    )
    assert kinds == "listed,read"

    url = f"{API}/enterprise-pushes/{push['id']}/ack"
    acked = await client.post(url, headers=enterprise)
    assert acked.status_code == 200, acked.text
    business_clock.advance(timedelta(hours=1))
    twice = await client.post(url, headers=enterprise)
    assert twice.json()["acknowledged_at"] == acked.json()["acknowledged_at"] is not None
    assert await scalar(client, "SELECT count(*) FROM enterprise_push_ack") == 1
    assert await audit_count(client, "enterprise_push_ack") == 1
    assert (await client.post(url, headers=province)).status_code == 403
    unacked = await client.get(f"{API}/enterprise-pushes?acknowledged=false", headers=province)
    assert LANZHOU not in {p["uscc"] for p in unacked.json()["items"]}
    acked_only = await client.get(f"{API}/enterprise-pushes?acknowledged=true", headers=province)
    assert [p["uscc"] for p in acked_only.json()["items"]] == [LANZHOU]


async def test_pushes_cannot_be_changed(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    await population(client)
    await schedule_run(client)
    for statement in (
        "UPDATE enterprise_push SET product_count = 0",
        "DELETE FROM enterprise_push",
    ):
        async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
            with pytest.raises(DBAPIError, match="immutable"):
                await uow.session.execute(text(statement))
