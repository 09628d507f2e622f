"""A title from application to re-review, across services on the embedded platform (real
PostgreSQL, the real broker, the services' own consumers): an enterprise registered in registry
files for a provincial 专精特新 title for itself; the county pre-checks, the 市州 recommends, the
province reviews, experts score blind, the public notice (公示) draws an objection that holds the
decision until it is dismissed; the grant makes a certificate; registry moves the enterprise into
the 专精特新 pool and funding creates, without any application, Gansu's 30万 award for a first
provincial 专精特新 title (甘工信发〔2023〕128号 (二)); as the 3 years run out the re-review is
announced, filed and passed (the certificate renewed, registry told), and a certificate left to
run out expires and moves the enterprise back out of the pool.

The business clock is the process's (``sme_common.clock``), so the services mounted in this
process see the same day the test sets."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from sme_certification.certificates.service import run_lifecycle
from sme_common.clock import FixedClock, use_clock
from sme_common.db.engine import Database
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from tests.conftest import uscc_for
from tests.harness import Platform, embedded_platform, eventually

pytestmark = pytest.mark.slow

Headers = dict[str, str]
CERTIFICATION = "/api/certification/v1"
REGISTRY = "/api/registry/v1"
FUNDING = "/api/funding/v1"
CHENGGUAN, LANZHOU, QINZHOU = "620102", "620100", "620502"
FIRST_PROVINCIAL_SPECIALISED_AWARD_FEN = 30_000_000  # 30万元, 甘工信发〔2023〕128号 (二)


@pytest.fixture
def june_2026() -> Iterator[FixedClock]:
    with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    await eventually(check, timeout_s=60)


async def register_enterprise(
    client: httpx.AsyncClient, province: Headers, uscc: str, name: str
) -> None:
    ok(
        await client.post(
            f"{REGISTRY}/enterprises",
            json={
                "uscc": uscc,
                "name": name,
                "region_code": CHENGGUAN,
                "industry_code": "C3411",
                "founded_on": "2012-03-01",
            },
            headers=province,
        ),
        201,
    )

    async def known_to_certification_and_funding() -> bool:
        for service in ("certification", "funding"):
            seen = await client.get(f"/api/{service}/v1/enterprises/{uscc}", headers=province)
            if seen.status_code != 200:
                return False
        return True

    await until(known_to_certification_and_funding)


async def granted_title(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    clock: FixedClock,
    batch: dict[str, Any],
    uscc: str,
) -> dict[str, Any]:
    """Apply → county → 市州 → province → experts → notice with an objection → grant."""
    province = bearer("province_officer", region="620000")
    lanzhou = bearer("city_officer", region=LANZHOU)
    chengguan = bearer("county_officer", region=CHENGGUAN)
    enterprise = bearer("enterprise", uscc=uscc)

    application = ok(
        await client.post(
            f"{CERTIFICATION}/applications",
            json={"batch_id": batch["id"], "uscc": uscc},
            headers=enterprise,
        ),
        201,
    )
    assessment = ok(
        await client.post(
            f"{CERTIFICATION}/applications/{application['id']}/self-assessment",
            headers=enterprise,
        )
    )
    assert assessment["rule_set"], assessment
    current = ok(
        await client.post(
            f"{CERTIFICATION}/applications/{application['id']}/submit",
            json={"version": application["version"]},
            headers=enterprise,
        )
    )
    for headers, action in (
        (chengguan, "approve_county_check"),
        (lanzhou, "recommend"),
        (province, "approve_provincial_review"),
    ):
        current = ok(
            await client.post(
                f"{CERTIFICATION}/applications/{current['id']}/decisions",
                json={"action": action, "version": current["version"]},
                headers=headers,
            )
        )
    assert current["status"] == "provincially_reviewed"

    tag = secrets.token_hex(3)
    subjects = [f"e2e-expert-{tag}-{i}" for i in range(3)]
    for subject in subjects:
        ok(
            await client.post(
                f"{CERTIFICATION}/experts",
                json={
                    "name": f"专家{subject[-1]}",
                    "subject": subject,
                    "home_region_code": QINZHOU,
                    "specialities": ["装备制造"],
                    "conflicts": [],
                },
                headers=province,
            ),
            201,
        )
    drawn = ok(
        await client.post(
            f"{CERTIFICATION}/applications/{current['id']}/experts",
            json={"count": 3, "version": current["version"]},
            headers=province,
        ),
        201,
    )
    pool = ok(await client.get(f"{CERTIFICATION}/experts", headers=province))["items"]
    subject_of = {expert["id"]: expert["subject"] for expert in pool}
    for member in drawn["members"]:
        ok(
            await client.post(
                f"{CERTIFICATION}/expert/assignments/{member['assignment_id']}/score",
                json={"score": "82", "remarks": "专业化程度高"},
                headers=bearer("expert", subject=subject_of[member["expert_id"]]),
            )
        )
    current = ok(
        await client.get(f"{CERTIFICATION}/applications/{current['id']}", headers=province)
    )

    notice = ok(
        await client.post(
            f"{CERTIFICATION}/notices",
            json={
                "title": "2026年度省级专精特新中小企业拟认定名单公示",
                "application_ids": [current["id"]],
            },
            headers=province,
        ),
        201,
    )
    objection = ok(
        await client.post(
            f"{CERTIFICATION}/public/notices/{notice['id']}/objections",
            json={
                "application_id": current["id"],
                "objector_name": "张三",
                "contact": "13800000000",
                "grounds": "该企业2025年营业收入与纳税申报不符，请核实。",
            },
        ),
        201,
    )
    clock.advance(timedelta(days=14))  # past the 5 working days of the notice
    current = ok(
        await client.get(f"{CERTIFICATION}/applications/{current['id']}", headers=province)
    )
    decide = {"action": "grant", "version": current["version"]}
    held = await client.post(
        f"{CERTIFICATION}/applications/{current['id']}/final-decision",
        json=decide,
        headers=province,
    )
    assert held.status_code == 409 and held.json()["code"] == "objection_open", held.text
    ok(
        await client.post(
            f"{CERTIFICATION}/objections/{objection['id']}/resolution",
            json={"outcome": "dismissed", "resolution": "经核实，营业收入数据真实。"},
            headers=province,
        )
    )
    granted = ok(
        await client.post(
            f"{CERTIFICATION}/applications/{current['id']}/final-decision",
            json=decide,
            headers=province,
        )
    )
    return ok(
        await client.get(
            f"{CERTIFICATION}/certificates/{granted['certificate_id']}", headers=province
        )
    )


async def run_title_flow(platform: Platform, bearer: TokenFactory, clock: FixedClock) -> None:
    province = bearer("province_officer", region="620000")
    serial = secrets.randbelow(900_000) + 1
    renewing, lapsing = uscc_for(serial), uscc_for(serial + 1)
    certification_db = Database.from_url(platform.database_urls["certification"])
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        await register_enterprise(client, province, renewing, "兰州精工机械有限公司")
        await register_enterprise(client, province, lapsing, "兰州恒达新材料有限公司")
        batch = ok(
            await client.post(
                f"{CERTIFICATION}/batches",
                json={
                    "tier": "specialised",
                    "level": "provincial",
                    "year": 2026,
                    "title": "2026年度省级专精特新中小企业（第一批）",
                    "province_code": "620000",
                    "opens_on": "2026-06-01",
                    "closes_on": "2026-06-30",
                },
                headers=province,
            ),
            201,
        )
        ok(
            await client.patch(
                f"{CERTIFICATION}/batches/{batch['id']}",
                json={"status": "open", "version": batch["version"]},
                headers=province,
            )
        )
        certificates = {
            uscc: await granted_title(client, bearer, clock, batch, uscc)
            for uscc in (renewing, lapsing)
        }
        for uscc, certificate in certificates.items():
            assert certificate["status"] == "valid" and certificate["uscc"] == uscc

            async def in_the_specialised_pool(uscc: str = uscc) -> bool:
                pools = await client.get(f"{REGISTRY}/enterprises/{uscc}/pools", headers=province)
                return pools.status_code == 200 and "specialised" in pools.json()["current"]

            await until(in_the_specialised_pool)

            async def award_entitled(uscc: str = uscc) -> bool:
                found = await client.get(
                    f"{FUNDING}/entitlements", params={"uscc": uscc}, headers=province
                )
                return found.status_code == 200 and len(found.json()["items"]) == 1

            await until(award_entitled)
            entitlement = ok(
                await client.get(f"{FUNDING}/entitlements", params={"uscc": uscc}, headers=province)
            )["items"][0]
            assert entitlement["amount_fen"] == FIRST_PROVINCIAL_SPECIALISED_AWARD_FEN
            assert entitlement["status"] == "pending_approval"
            assert entitlement["certificate_id"] == certificate["id"]

        # Three years on, the re-review (复核) is announced; one enterprise files and passes it.
        renewal, lapse = certificates[renewing], certificates[lapsing]
        expires_on = date.fromisoformat(renewal["expires_on"])
        clock.advance(expires_on - timedelta(days=30) - clock.now().date())
        report = await run_lifecycle(certification_db, lead_days=90)
        assert {renewal["id"], lapse["id"]} <= set(report.re_review_notified)
        today = clock.now().date().isoformat()
        filed = ok(
            await client.post(
                f"{CERTIFICATION}/certificates/{renewal['id']}/re-review/filing",
                json={"filed_on": today},
                headers=bearer("county_officer", region=CHENGGUAN),
            )
        )
        assert filed["status"] == "under_re_review", filed
        renewed = ok(
            await client.post(
                f"{CERTIFICATION}/certificates/{renewal['id']}/re-review/decision",
                json={"passed": True, "decided_on": today, "note": "复核通过"},
                headers=province,
            )
        )
        new_expiry = renewed["expires_on"]
        assert date.fromisoformat(new_expiry) > expires_on

        async def registry_knows_the_renewal() -> bool:
            profile = await client.get(
                f"{REGISTRY}/enterprises/{renewing}/profile", headers=province
            )
            if profile.status_code != 200:
                return False
            body = profile.json()
            kinds = {entry["kind"] for entry in body["certification_history"]}
            held = [c for c in body["certificates"] if c["certificate_id"] == renewal["id"]]
            return (
                {"certificate_re_review_due", "certificate_renewed"} <= kinds
                and bool(held)
                and held[0]["expires_on"] == new_expiry
            )

        await until(registry_knows_the_renewal)

        # The other one lets its title run out: the day after the last valid day it expires.
        lapse_ends_on = date.fromisoformat(lapse["expires_on"])
        clock.advance(lapse_ends_on + timedelta(days=1) - clock.now().date())
        report = await run_lifecycle(certification_db, lead_days=90)
        assert lapse["id"] in report.revoked_unfiled, report
        assert renewal["id"] not in report.expired

        async def out_of_the_pool() -> bool:
            pools = await client.get(f"{REGISTRY}/enterprises/{lapsing}/pools", headers=province)
            return pools.status_code == 200 and "specialised" not in pools.json()["current"]

        await until(out_of_the_pool)
        # Still exactly one award each: nothing replayed or renewed made a second one.
        for uscc in (renewing, lapsing):
            items = ok(
                await client.get(f"{FUNDING}/entitlements", params={"uscc": uscc}, headers=province)
            )["items"]
            assert len(items) == 1, items
    await certification_db.dispose()


async def test_a_title_from_application_to_re_review(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
    june_2026: FixedClock,
) -> None:
    async with embedded_platform(
        database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir
    ) as platform:
        await run_title_flow(platform, bearer, june_2026)
