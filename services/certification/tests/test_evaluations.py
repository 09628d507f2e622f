"""Rule documents kept in the database (versions by date, refused edits naming the rule) and the
re-evaluation of a tier's holders, stored with the rule-set version and fingerprint, on real
PostgreSQL (issue 8: rule engine, performance target 2)."""

from __future__ import annotations

import copy
import csv
import io
from datetime import date
from typing import Any

import httpx
import pytest

from services.certification.tests.certificate_support import add_enterprise, database_of
from services.certification.tests.support import URL, deliver, file_facts, flag_event
from sme_certification.evaluations.reevaluation import RunReport, RunRequest, run_reevaluation
from sme_certification.evaluations.service import catalog_on
from sme_certification.facts.consumers import enterprise_facts_consumer
from sme_certification.facts.service import evaluation_input_for
from sme_certification.rules.domain import evaluate
from sme_certification.rules.facts import Application, ApplicationKind, Level, Tier
from sme_certification.rules.ruleset import fingerprint, packaged_documents
from sme_common import clock
from sme_common.events.consumer import Outcome
from sme_common.ids import make_uscc
from sme_common.rules import RuleViolation
from sme_common.testing.plugin import TokenFactory

TODAY = date(2026, 6, 10)  # the client fixture's business clock
WAN = 1_000_000


@pytest.fixture
def province(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="officer-620000")


def packaged(document_id: str) -> dict[str, Any]:
    return next(d for d in packaged_documents() if d["id"] == document_id)


def gansu_overlay(version: str, points: int = 10) -> dict[str, Any]:
    document = copy.deepcopy(packaged("gansu-local-specialty"))
    document["version"] = version
    document["local_indicators"]["indicators"] = [
        {
            "id": "gansu_green_factory",
            "name_zh": "绿色工厂",
            "sources": ["甘工信发〔2026〕1号（测试）"],
            "verification": "unverified",
            "max_points": points,
            "bands": [
                {
                    "label_zh": "省级以上",
                    "points": points,
                    "when": {
                        "test": "compare",
                        "metric": "local:gansu_green_factory",
                        "op": "gte",
                        "value": 1,
                    },
                },
                {"label_zh": "无", "points": 0, "otherwise": True},
            ],
        }
    ]
    return document


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    document: dict[str, Any],
    effective_from: date = TODAY,
) -> httpx.Response:
    return await client.post(
        f"{URL}/rule-documents/{document['id']}/versions",
        headers=headers,
        json={
            "effective_from": effective_from.isoformat(),
            "source_citation": "甘工信发〔2026〕1号",
            "document": document,
        },
    )


class TestRuleDocuments:
    async def test_the_shipped_documents_are_listed_with_fingerprints_and_unverified_counts(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        listed = await client.get(f"{URL}/rule-documents", headers=province)
        assert listed.status_code == 200, listed.text
        items = {i["document_id"]: i for i in listed.json()["items"]}
        assert set(items) == {d["id"] for d in packaged_documents()}
        national = items["national-2022-63"]
        assert national["origin"] == "packaged"
        assert national["fingerprint"] == fingerprint(packaged("national-2022-63"))
        # docs/certification-rules.md lists the unverified rules of 63号; they stay marked.
        assert national["unverified_count"] > 0
        one = await client.get(f"{URL}/rule-documents/national-2026-2", headers=province)
        assert one.status_code == 200
        assert one.json()["document"] == packaged("national-2026-2")
        assert one.json()["versions"] == []
        missing = await client.get(f"{URL}/rule-documents/national-1999-1", headers=province)
        assert missing.status_code == 404
        assert missing.json()["code"] == "rule_document_not_found"

    async def test_a_new_version_is_stored_and_in_force_from_its_day(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        document = gansu_overlay("2")
        response = await upload(client, province, document, effective_from=date(2026, 7, 1))
        assert response.status_code == 201, response.text
        stored = response.json()
        assert stored["version"] == "2" and stored["recorded_by"] == "officer-620000"
        assert stored["fingerprint"] == fingerprint(document)
        assert stored["unverified_count"] == 1, "the UNVERIFIED label is kept as sent"

        async def in_force(on: str) -> dict[str, Any]:
            listed = await client.get(f"{URL}/rule-documents?on={on}", headers=province)
            items: list[dict[str, Any]] = listed.json()["items"]
            return next(i for i in items if i["document_id"] == "gansu-local-specialty")

        assert (await in_force("2026-06-30"))["version"] == "1"
        july = await in_force("2026-07-01")
        assert july["version"] == "2" and july["origin"] == "stored"
        assert july["source_citation"] == "甘工信发〔2026〕1号"
        one = await client.get(
            f"{URL}/rule-documents/gansu-local-specialty?on=2026-07-01", headers=province
        )
        assert one.json()["document"] == document
        assert [v["version"] for v in one.json()["versions"]] == ["2"]
        again = await upload(client, province, document, effective_from=date(2026, 8, 1))
        assert again.status_code == 409
        assert again.json()["code"] == "rule_document_version_exists"
        catalog = await _catalog(client, date(2026, 7, 1))
        assert catalog.overlays["gansu-local-specialty"]["version"] == "2"

    async def test_an_officer_corrects_an_unverified_number_without_a_release(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        document = copy.deepcopy(packaged("national-2022-63"))
        before = sum(1 for _ in _unverified(document))
        rule = next(_unverified(document))
        rule["verification"] = "verified_primary"
        rule["sources"] = [*rule["sources"], "核对：工信部企业〔2022〕63号 PDF 原文"]
        document["version"] = "2"
        response = await upload(client, province, document)
        assert response.status_code == 201, response.text
        assert response.json()["unverified_count"] == before - 1
        catalog = await _catalog(client, TODAY)
        assert catalog.national["national-2022-63"]["version"] == "2"

    @pytest.mark.parametrize(
        ("edit", "code", "field"),
        [
            (
                lambda d: d["tiers"]["specialised"]["conditions"][0]["rule"].update(
                    metric="turnover"
                ),
                "rule_document_invalid",
                "document.national-2026-2.tiers.specialised.conditions[0].rule",
            ),
            (
                lambda d: d["tiers"]["specialised"]["conditions"][0].pop("sources"),
                "rule_document_invalid",
                "document.national-2026-2.tiers.specialised.conditions[0]",
            ),
            (lambda d: d.update(id="national-2026-3"), "rule_document_id_mismatch", "document.id"),
            (lambda d: d.update(kind="overlay"), "rule_document_kind_changed", "document.kind"),
            (lambda d: d.update(version=1), "rule_document_version_invalid", "document.version"),
        ],
    )
    async def test_a_bad_document_is_refused_naming_the_rule_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        province: dict[str, str],
        edit: Any,
        code: str,
        field: str,
    ) -> None:
        document = copy.deepcopy(packaged("national-2026-2"))
        document["version"] = "2"
        edit(document)
        response = await client.post(
            f"{URL}/rule-documents/national-2026-2/versions",
            headers=province,
            json={"effective_from": "2026-06-10", "source_citation": "x", "document": document},
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == code
        assert problem["field"].startswith(field), problem
        assert problem["detail_zh"]
        one = await client.get(f"{URL}/rule-documents/national-2026-2", headers=province)
        assert one.json()["versions"] == []

    @pytest.mark.parametrize(
        ("on", "code"), [("0", "request_invalid"), ("2026-02-30", "date_invalid")]
    )
    async def test_a_day_that_is_not_a_calendar_day_is_refused(
        self, client: httpx.AsyncClient, province: dict[str, str], on: str, code: str
    ) -> None:
        response = await client.get(f"{URL}/rule-documents?on={on}", headers=province)
        assert response.status_code == 422
        assert response.json()["code"] == code

    async def test_an_unknown_document_gets_no_version(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        document = {**gansu_overlay("2"), "id": "hubei-local-specialty"}
        response = await upload(client, province, document)
        assert response.status_code == 404
        assert response.json()["code"] == "rule_document_not_found"

    async def test_a_version_cannot_take_effect_in_the_past(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        response = await upload(client, province, gansu_overlay("2"), date(2026, 6, 9))
        assert response.status_code == 422
        assert response.json()["code"] == "effective_from_in_past"


def _unverified(document: Any) -> Any:
    if isinstance(document, dict):
        if document.get("verification") == "unverified" and "rule" in document:
            yield document
        for value in document.values():
            yield from _unverified(value)
    elif isinstance(document, list):
        for value in document:
            yield from _unverified(value)


async def _catalog(client: httpx.AsyncClient, day: date) -> Any:
    async with database_of(client).sessionmaker() as session:
        return await catalog_on(session, day)


# --- re-evaluation -------------------------------------------------------------------------------


def year(revenue_wan: int, **more: Any) -> dict[str, Any]:
    revenue = revenue_wan * WAN
    return {
        "employees": 120,
        "operating_revenue_fen": revenue,
        "main_business_revenue_fen": revenue * 85 // 100,
        "rd_expense_fen": revenue * 5 // 100,
        "rd_staff": 20,
        "total_assets_fen": revenue * 2,
        "total_liabilities_fen": revenue,
        "net_profit_fen": revenue // 10,
        "ip_class1": 3,
        "ip_class1_own_top3": 2,
        "niche_market_years": 5,
        **more,
    }


async def holder(
    client: httpx.AsyncClient,
    province: dict[str, str],
    body: str,
    *,
    region: str = "620102",
    tier: str = "specialised",
    revenue_wan: int = 3000,
) -> str:
    unit = region[:4] + "00"
    uscc = await add_enterprise(client, body, region=region, unit=unit)
    recorded = await client.post(
        f"{URL}/certificates",
        headers=province,
        json={"uscc": uscc, "tier": tier, "level": "provincial", "issued_on": "2025-05-01"},
    )
    assert recorded.status_code == 201, recorded.text
    db = database_of(client)
    for filed in (2024, 2025):
        await file_facts(db, uscc, filed, **year(revenue_wan))
    return uscc


async def reevaluate(
    client: httpx.AsyncClient, rule_set: str = "national-2026-2", *, again: bool = False
) -> RunReport:
    db = database_of(client)
    request = RunRequest(
        rule_set_id=rule_set,
        tier=Tier.SPECIALISED,
        kind=ApplicationKind.RE_REVIEW,
        as_of=TODAY,
        requested_by="officer-620000",
        again=again,
    )
    async with db.sessionmaker() as session:
        catalog = await catalog_on(session, TODAY)
    return await run_reevaluation(db, catalog, request, clock=clock.now)


class TestReevaluation:
    async def test_every_holder_is_evaluated_and_stored_with_the_version_and_fingerprint(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        strong = await holder(client, province, "EQ000001")
        flagged = await holder(client, province, "EQ000002")
        outcome = await deliver(
            database_of(client),
            enterprise_facts_consumer,
            flag_event(flagged, "flag-1", "raised", date(2026, 1, 5), kind="serious_dishonesty"),
        )
        assert outcome is Outcome.APPLIED
        await holder(client, province, "EQ000003", tier="innovative")  # another tier
        await add_enterprise(client, "EQ000004")  # no title at all

        report = await reevaluate(client)
        assert report.enterprises == 2
        assert sum(report.outcomes.values()) == 2
        shipped = packaged("national-2026-2")
        assert (report.rule_set_version, report.fingerprint) == ("1", fingerprint(shipped))

        history = await client.get(f"{URL}/enterprises/{flagged}/evaluations", headers=province)
        assert history.status_code == 200, history.text
        latest = history.json()["latest"]
        assert latest["run_id"] == report.run_id and latest["outcome"] == "failed"
        assert latest["rule_set_id"] == "national-2026-2"
        assert latest["rule_set_version"] == "1"
        assert latest["fingerprint"] == fingerprint(shipped)
        exported = await client.get(
            f"{URL}/enterprises/{flagged}/evaluations/{report.run_id}", headers=province
        )
        assert exported.status_code == 200, exported.text
        explanation = exported.json()["explanation"]
        assert "serious_dishonesty" in explanation["reasons"]
        assert explanation["facts"], "every fact read is kept with its year and value"
        failed = [c for c in explanation["criteria"] if c["result"] == "fail"]
        assert failed and all(c["name_zh"] and c["sources"] for c in failed)

        # The stored outcome is the engine's own for the same facts (not a copy of a guess).
        catalog = await _catalog(client, TODAY)
        async with database_of(client).sessionmaker() as session:
            facts = await evaluation_input_for(session, strong, {"held_titles": []})
        application = Application(
            Tier.SPECIALISED, ApplicationKind.RE_REVIEW, Level.PROVINCIAL, TODAY, "620000"
        )
        rules = catalog.tier_rules(
            "national-2026-2",
            Tier.SPECIALISED,
            ApplicationKind.RE_REVIEW,
            catalog.overlays_for(application, "national-2026-2"),
        )
        expected = evaluate(rules, facts, application, selected_by="test")
        strong_history = await client.get(
            f"{URL}/enterprises/{strong}/evaluations", headers=province
        )
        stored = strong_history.json()["latest"]
        assert stored["outcome"] == expected.outcome.value
        assert stored["score_points"] == (expected.score.points if expected.score else None)
        exported_csv = await client.get(
            f"{URL}/enterprises/{strong}/evaluations/{report.run_id}?format=csv",
            headers=province,
        )
        assert exported_csv.status_code == 200
        assert exported_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(exported_csv.text)))
        assert len(rows) == len(expected.criteria)
        assert {r["criterion_id"] for r in rows} == {c.id for c in expected.criteria}
        assert {r["fingerprint"] for r in rows} == {fingerprint(shipped)}

    async def test_the_same_version_twice_is_refused_and_again_is_a_new_attempt(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await holder(client, province, "EQ000011")
        first = await reevaluate(client)
        with pytest.raises(RuleViolation) as refused:
            await reevaluate(client)
        assert refused.value.code == "evaluation_run_exists"
        second = await reevaluate(client, again=True)
        assert (first.attempt, second.attempt) == (1, 2)
        history = (
            await client.get(f"{URL}/enterprises/{uscc}/evaluations", headers=province)
        ).json()["history"]
        assert [h["run_id"] for h in history] == [second.run_id, first.run_id]

    async def test_a_corrected_version_is_what_the_next_run_records(
        self, client: httpx.AsyncClient, province: dict[str, str]
    ) -> None:
        uscc = await holder(client, province, "EQ000021")
        await reevaluate(client)
        document = copy.deepcopy(packaged("national-2026-2"))
        document["version"] = "2"
        document["title_zh"] += "（勘误）"
        assert (await upload(client, province, document)).status_code == 201
        report = await reevaluate(client)
        assert (report.rule_set_version, report.fingerprint) == ("2", fingerprint(document))
        history = (
            await client.get(f"{URL}/enterprises/{uscc}/evaluations", headers=province)
        ).json()["history"]
        assert [h["rule_set_version"] for h in history] == ["2", "1"]

    async def test_an_unknown_rule_set_is_refused(self, client: httpx.AsyncClient) -> None:
        with pytest.raises(RuleViolation) as refused:
            await reevaluate(client, "national-1999-1")
        assert refused.value.code == "rule_set_unknown"


class TestAccess:
    async def test_no_token_is_refused_everywhere(self, client: httpx.AsyncClient) -> None:
        for path in ("/rule-documents", "/rule-documents/national-2026-2"):
            assert (await client.get(f"{URL}{path}")).status_code == 401
        posted = await client.post(f"{URL}/rule-documents/gansu-local-specialty/versions", json={})
        assert posted.status_code == 401

    @pytest.mark.parametrize(
        ("role", "region"),
        [("city_officer", "620100"), ("county_officer", "620102"), ("enterprise", None)],
    )
    async def test_only_the_province_uploads(
        self, client: httpx.AsyncClient, bearer: TokenFactory, role: str, region: str | None
    ) -> None:
        extra = (
            {"uscc": make_uscc(region="620102", body="EQ000099")} if role == "enterprise" else {}
        )
        headers = bearer(role, region=region, **extra)
        response = await upload(client, headers, gansu_overlay("2"))
        assert response.status_code == 403, response.text

    async def test_another_province_cannot_change_gansu_s_overlay(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        guizhou = bearer("province_officer", region="520000")
        response = await upload(client, guizhou, gansu_overlay("2"))
        assert response.status_code == 403
        assert response.json()["code"] == "region_forbidden"

    async def test_evaluations_are_read_within_the_region_and_by_the_enterprise_itself(
        self, client: httpx.AsyncClient, province: dict[str, str], bearer: TokenFactory
    ) -> None:
        uscc = await holder(client, province, "EQ000031")
        other = await holder(client, province, "EQ000032")
        report = await reevaluate(client)
        path = f"/enterprises/{uscc}/evaluations"
        allowed = [
            province,
            bearer("city_officer", region="620100"),
            bearer("county_officer", region="620102"),
            bearer("enterprise", uscc=uscc),
        ]
        for headers in allowed:
            assert (await client.get(f"{URL}{path}", headers=headers)).status_code == 200
        refused = [
            bearer("province_officer", region="520000"),
            bearer("county_officer", region="620103"),
            bearer("enterprise", uscc=other),
        ]
        for headers in refused:
            listed = await client.get(f"{URL}{path}", headers=headers)
            assert listed.status_code == 404
            exported = await client.get(f"{URL}{path}/{report.run_id}", headers=headers)
            assert exported.status_code == 404
        assert (await client.get(f"{URL}{path}")).status_code == 401
        wrong_run = await client.get(f"{URL}{path}/run_0000000000000000", headers=province)
        assert wrong_run.json()["code"] == "evaluation_not_found"
