"""Updates, history, as-of reads, search, the change feed, facts and size class."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from services.registry.tests.support import register_enterprise
from sme_common.testing.plugin import TokenFactory

URL = "/api/registry/v1/enterprises"
WAN = 1_000_000  # fen in one 万元


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def register(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: str,
    region: str = "620102",
    **extra: object,
) -> str:
    """An enterprise of this file's kind: a 甘肃 manufacturer founded in 2010."""
    fields: dict[str, object] = {"industry_code": "C3411", "founded_on": "2010-01-01", **extra}
    name = str(fields.pop("name", f"甘肃{body}科技有限公司"))
    return await register_enterprise(client, headers, body, name, region=region, **fields)


async def set_revision_time(
    client: httpx.AsyncClient, uscc: str, version: int, at: datetime
) -> None:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(
            text(
                "UPDATE enterprise_revision SET recorded_at = :at WHERE uscc = :u AND version = :v"
            ),
            {"at": at, "u": uscc, "v": version},
        )
        await session.commit()


class TestUpdates:
    async def test_update_bumps_version_keeps_former_name_and_publishes(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MD000001")
        response = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "name": "新名称有限公司"}, headers=officer
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == 2
        assert body["former_names"][0]["name"] == "甘肃MD000001科技有限公司"
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            types = (
                (
                    await session.execute(
                        text("SELECT event_type FROM outbox_message WHERE key = :u ORDER BY id"),
                        {"u": uscc},
                    )
                )
                .scalars()
                .all()
            )
        assert types == ["registry.enterprise.registered.v1", "registry.enterprise.updated.v1"]

    async def test_a_stale_version_is_a_conflict_and_changes_nothing(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MD000002")
        assert (
            await client.patch(f"{URL}/{uscc}", json={"version": 1, "name": "甲"}, headers=officer)
        ).status_code == 200
        stale = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "name": "乙"}, headers=officer
        )
        assert stale.status_code == 409
        assert stale.json()["code"] == "version_conflict"
        assert stale.json()["current_version"] == 2
        assert (await client.get(f"{URL}/{uscc}", headers=officer)).json()["name"] == "甲"

    async def test_an_update_that_changes_nothing_keeps_the_version(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MD000003")
        same = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "region_code": "620102"}, headers=officer
        )
        assert same.json()["version"] == 1

    async def test_moving_region_recomputes_the_reporting_unit_within_scope(
        self, client: httpx.AsyncClient, bearer: TokenFactory, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MD000004")
        lanzhou = bearer("city_officer", region="620100")
        away = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "region_code": "620502"}, headers=lanzhou
        )
        assert away.status_code == 403
        moved = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "region_code": "620502"}, headers=officer
        )
        assert moved.json()["reporting_unit_code"] == "620500"

    @pytest.mark.parametrize(
        ("patch", "code"),
        [
            ({"name": None}, "name_required"),
            ({"region_code": "629999"}, "region_unknown"),
            ({"industry_code": "Q99"}, "industry_code_invalid"),
            ({"operating_status": None}, "operating_status_required"),
        ],
    )
    async def test_bad_updates_are_named(
        self,
        client: httpx.AsyncClient,
        officer: dict[str, str],
        patch: dict[str, object],
        code: str,
    ) -> None:
        uscc = await register(client, officer, "MD000005")
        response = await client.patch(
            f"{URL}/{uscc}", json={"version": 1, **patch}, headers=officer
        )
        assert response.status_code == 422
        assert response.json()["code"] == code


class TestHistory:
    async def test_every_version_is_kept_and_as_of_reads_the_one_in_force(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "ME000001")
        await client.patch(
            f"{URL}/{uscc}", json={"version": 1, "name": "二〇二六年名称"}, headers=officer
        )
        await set_revision_time(client, uscc, 1, datetime(2025, 6, 1, tzinfo=UTC))
        await set_revision_time(client, uscc, 2, datetime(2026, 3, 1, tzinfo=UTC))
        history = (await client.get(f"{URL}/{uscc}/history", headers=officer)).json()["items"]
        assert [h["version"] for h in history] == [1, 2]
        old = await client.get(f"{URL}/{uscc}?as_of=2025-12-31", headers=officer)
        assert old.json()["name"] == "甘肃ME000001科技有限公司"
        new = await client.get(f"{URL}/{uscc}?as_of=2026-03-01", headers=officer)
        assert new.json()["name"] == "二〇二六年名称"
        before = await client.get(f"{URL}/{uscc}?as_of=2024-01-01", headers=officer)
        assert before.status_code == 404
        assert before.json()["code"] == "enterprise_not_registered_then"

    async def test_as_of_days_end_at_midnight_in_shanghai(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "ME000002")
        # 2025-12-31 23:30 in Shanghai is 15:30 UTC: still 31 December there.
        await set_revision_time(client, uscc, 1, datetime(2025, 12, 31, 15, 30, tzinfo=UTC))
        assert (
            await client.get(f"{URL}/{uscc}?as_of=2025-12-31", headers=officer)
        ).status_code == 200
        await set_revision_time(client, uscc, 1, datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
        assert (
            await client.get(f"{URL}/{uscc}?as_of=2025-12-31", headers=officer)
        ).status_code == 404


class TestSearch:
    async def test_partial_chinese_names_of_two_or_more_characters_are_found(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MF000001")
        await client.patch(
            f"{URL}/{uscc}",
            json={"version": 1, "name": "陇原精工机械制造有限公司"},
            headers=officer,
        )
        for q in ("精工", "精工机械", "陇原精工机械制造有限公司"):
            found = await client.get(URL, params={"q": q}, headers=officer)
            assert [e["uscc"] for e in found.json()["items"]] == [uscc], q
        assert (await client.get(URL, params={"q": "精"}, headers=officer)).status_code == 422
        none = await client.get(URL, params={"q": "不存在的名字"}, headers=officer)
        assert none.json()["items"] == []

    async def test_filters_combine_and_respect_region_scope(
        self, client: httpx.AsyncClient, bearer: TokenFactory, officer: dict[str, str]
    ) -> None:
        a = await register(client, officer, "MF000002", region="620102")
        b = await register(client, officer, "MF000003", region="620502", industry_code="I6510")
        in_tianshui = await client.get(
            URL, params={"reporting_unit_code": "620500"}, headers=officer
        )
        assert [e["uscc"] for e in in_tianshui.json()["items"]] == [b]
        software = await client.get(URL, params={"industry": "I65"}, headers=officer)
        assert [e["uscc"] for e in software.json()["items"]] == [b]
        lanzhou = await client.get(URL, headers=bearer("city_officer", region="620100"))
        assert [e["uscc"] for e in lanzhou.json()["items"]] == [a]
        assert (await client.get(URL, params={"colour": "red"}, headers=officer)).status_code == 422
        assert (
            await client.get(URL, params={"size_class": "huge"}, headers=officer)
        ).status_code == 422

    async def test_cursor_pagination_visits_every_enterprise_once(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        made = {await register(client, officer, f"MG00000{n}") for n in range(7)}
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(URL, params=params, headers=officer)).json()
            seen += [e["uscc"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made)
        bad = await client.get(URL, params={"cursor": "not-a-cursor"}, headers=officer)
        assert bad.status_code == 422 and bad.json()["code"] == "cursor_invalid"


class TestFacts:
    def facts(self, **overrides: object) -> dict[str, object]:
        return {
            "employees": 120,
            "operating_revenue_fen": 8000 * WAN,
            "main_business_revenue_fen": 7600 * WAN,
            "rd_expense_fen": 400 * WAN,
            "rd_staff": 30,
            "total_assets_fen": 10000 * WAN,
            "total_liabilities_fen": 4500 * WAN,
            "net_profit_fen": 600 * WAN,
            "ip_class1": 5,
            "ip_class1_self_developed": 3,
            **overrides,
        }

    async def test_filing_facts_derives_ratios_and_classifies_the_size(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000001")
        last = await client.put(
            f"{URL}/{uscc}/facts/2024",
            json=self.facts(operating_revenue_fen=6400 * WAN, main_business_revenue_fen=6000 * WAN),
            headers=officer,
        )
        assert last.status_code == 201, last.text
        filed = await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        assert filed.status_code == 201
        ratios = filed.json()["ratios"]
        assert ratios == {
            "debt_ratio": "0.4500",
            "rd_expense_ratio": "0.0500",
            "rd_staff_ratio": "0.2500",
            "main_business_ratio": "0.9500",
            "revenue_growth_ratio": "0.2500",
            "net_profit_margin_ratio": "0.0750",
        }
        size = (await client.get(f"{URL}/{uscc}/size-class", headers=officer)).json()
        # 工业: 120 staff < 300 → not medium; ≥ 20 staff and ≥ 300万 revenue → small.
        assert size["size_class"] == "small"
        assert size["basis_year"] == 2025
        assert size["explanation"]["row"] == "industry"
        assert size["explanation"]["decided_by"] == "small_floor"
        enterprise = (await client.get(f"{URL}/{uscc}", headers=officer)).json()
        assert (enterprise["size_class"], enterprise["size_class_year"]) == ("small", 2025)

    async def test_filing_the_same_facts_again_changes_nothing(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000002")
        first = await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        again = await client.put(
            f"{URL}/{uscc}/facts/2025", json={**self.facts(), "version": 1}, headers=officer
        )
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["version"] == 1
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            filed = await session.scalar(
                text(
                    "SELECT count(*) FROM outbox_message WHERE key = :u AND event_type = "
                    "'registry.enterprise.facts-filed.v1'"
                ),
                {"u": uscc},
            )
        assert filed == 1

    async def test_correcting_facts_needs_the_current_version(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000003")
        await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        blind = await client.put(
            f"{URL}/{uscc}/facts/2025",
            json={**self.facts(employees=400), "version": 7},
            headers=officer,
        )
        assert blind.status_code == 409
        fixed = await client.put(
            f"{URL}/{uscc}/facts/2025",
            json={**self.facts(employees=400), "version": 1},
            headers=officer,
        )
        assert fixed.json()["version"] == 2
        # 400 staff and 8000万 revenue: every medium floor of 工业 met.
        size = (await client.get(f"{URL}/{uscc}/size-class", headers=officer)).json()
        assert size["size_class"] == "medium"

    @pytest.mark.parametrize(
        ("overrides", "year", "code"),
        [
            ({"employees": -1}, 2025, "request_invalid"),
            (
                {"main_business_revenue_fen": 9000 * WAN},
                2025,
                "main_business_revenue_fen_exceeds_operating_revenue_fen",
            ),
            ({"rd_staff": 500}, 2025, "rd_staff_exceeds_employees"),
            ({}, 2009, "year_before_founding"),
            ({"digital_level": 7}, 2025, "request_invalid"),
            ({"unexpected": 1}, 2025, "request_invalid"),
        ],
    )
    async def test_bad_facts_are_refused_and_change_nothing(
        self,
        client: httpx.AsyncClient,
        officer: dict[str, str],
        overrides: dict[str, object],
        year: int,
        code: str,
    ) -> None:
        uscc = await register(client, officer, "MH000004")
        response = await client.put(
            f"{URL}/{uscc}/facts/{year}", json=self.facts(**overrides), headers=officer
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert (await client.get(f"{URL}/{uscc}/facts", headers=officer)).json()["items"] == []

    async def test_a_future_year_is_refused(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000005")
        next_year = date.today().year + 1
        response = await client.put(
            f"{URL}/{uscc}/facts/{next_year}", json=self.facts(), headers=officer
        )
        assert response.json()["code"] == "year_in_future"

    async def test_size_class_on_a_date_is_the_one_decided_by_then(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000006")
        first = await client.put(
            f"{URL}/{uscc}/facts/2024", json=self.facts(employees=10, rd_staff=2), headers=officer
        )
        assert first.status_code == 201, first.text
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            await session.execute(
                text("UPDATE size_class_record SET decided_at = :t WHERE uscc = :u"),
                {"t": datetime.now(UTC) - timedelta(days=400), "u": uscc},
            )
            await session.commit()
        await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        then = (datetime.now(UTC) - timedelta(days=300)).date().isoformat()
        old = await client.get(f"{URL}/{uscc}/size-class", params={"on": then}, headers=officer)
        assert old.json()["size_class"] == "micro"
        now = await client.get(f"{URL}/{uscc}/size-class", headers=officer)
        assert now.json()["size_class"] == "small"

    async def test_a_filed_year_cannot_be_overwritten_without_the_version(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000007")
        first = await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        assert first.status_code == 201
        blind = await client.put(f"{URL}/{uscc}/facts/2025", json={"employees": 5}, headers=officer)
        assert blind.status_code == 409, blind.text
        assert blind.json()["code"] == "version_required"
        assert blind.json()["current_version"] == 1
        stored = (await client.get(f"{URL}/{uscc}/facts/2025", headers=officer)).json()
        assert (stored["employees"], stored["rd_staff"], stored["version"]) == (120, 30, 1)

    async def test_if_match_carries_the_version_of_a_correction(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000008")
        await client.put(f"{URL}/{uscc}/facts/2025", json=self.facts(), headers=officer)
        read = await client.get(f"{URL}/{uscc}/facts/2025", headers=officer)
        assert read.headers["ETag"] == '"1"'
        corrected = await client.put(
            f"{URL}/{uscc}/facts/2025",
            json=self.facts(employees=130),
            headers={**officer, "If-Match": read.headers["ETag"]},
        )
        assert corrected.status_code == 200, corrected.text
        assert (corrected.json()["version"], corrected.headers["ETag"]) == (2, '"2"')
        stale = await client.put(
            f"{URL}/{uscc}/facts/2025",
            json=self.facts(employees=140),
            headers={**officer, "If-Match": 'W/"1"'},
        )
        assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
        for if_match, body, code in (
            ("*", self.facts(), "if_match_invalid"),
            ("abc", self.facts(), "if_match_invalid"),
            ('"2"', {**self.facts(), "version": 1}, "if_match_mismatch"),
        ):
            refused = await client.put(
                f"{URL}/{uscc}/facts/2025", json=body, headers={**officer, "If-Match": if_match}
            )
            assert refused.status_code == 422 and refused.json()["code"] == code, if_match

    async def test_the_size_class_explanation_gives_money_in_fen_and_in_wan(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        uscc = await register(client, officer, "MH000009")
        revenue, assets = 8000 * WAN + 123, 10000 * WAN
        await client.put(
            f"{URL}/{uscc}/facts/2025",
            json=self.facts(operating_revenue_fen=revenue, total_assets_fen=assets),
            headers=officer,
        )
        size = (await client.get(f"{URL}/{uscc}/size-class", headers=officer)).json()
        figures = size["explanation"]["figures"]
        assert figures["operating_revenue_fen"] == revenue
        assert figures["operating_revenue_wan"] == pytest.approx(8000.000123)
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            payload = await session.scalar(
                text(
                    "SELECT convert_from(payload, 'UTF8')::jsonb FROM outbox_message WHERE key = :u"
                    " AND event_type = 'registry.enterprise.size-class-changed.v1'"
                ),
                {"u": uscc},
            )
        assert payload["explanation"]["figures"] == figures
        # 工业 small floor (300号): 20 persons and 300 万元, as the table states them.
        assert payload["explanation"]["thresholds"] == {
            "employees": 20,
            "operating_revenue_wan": 300,
        }

    async def test_explanations_recorded_before_the_fix_get_their_units_by_migration(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        import importlib
        import json

        migration = importlib.import_module(
            "sme_registry.migrations.versions.0006_integrity_and_text"
        )
        uscc = await register(client, officer, "MH000010")
        old = {"figures": {"employees": 120, "operating_revenue_wan": 8000 * WAN + 123}}
        async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
            await session.execute(
                text(
                    "INSERT INTO size_class_record (uscc, size_class, basis_year, rule_version,"
                    " explanation, decided_at) VALUES (:u, 'small', 2025, 'r', "
                    "CAST(:e AS jsonb), now())"
                ),
                {"u": uscc, "e": json.dumps(old)},
            )
            for metric in ("operating_revenue", "total_assets"):
                await session.execute(text(migration.EXPLANATION_UNITS.format(metric=metric)))
            fixed = await session.scalar(
                text("SELECT explanation FROM size_class_record WHERE uscc = :u"), {"u": uscc}
            )
            await session.rollback()
        assert fixed["figures"] == {
            "employees": 120,
            "operating_revenue_fen": 8000 * WAN + 123,
            "operating_revenue_wan": pytest.approx(8000.000123),
        }
