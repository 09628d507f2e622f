"""Statistics of titles (issue 8 item 9): by tier, level, 市州 and year of issue; counted against
the provincial targets the way each province words them (Gansu 累计培育, Hubei 数量达到), a title
withdrawn for false declaration never counting; region-scoped; exportable as CSV; and the funnel
of applications by status per batch."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date
from typing import Any

import httpx
import pytest

from services.certification.tests.certificate_support import (  # noqa: F401 (fixture)
    URL,
    add_enterprise,
    at_noon,
    client_on_the_real_clock,
    database_of,
)
from sme_certification.certificates.service import run_lifecycle
from sme_certification.statistics import domain
from sme_certification.statistics.service import targets_file
from sme_common.clock import use_clock
from sme_common.rules import RuleViolation
from sme_common.testing.plugin import TokenFactory

Headers = dict[str, str]

# --- the rules, pure ----------------------------------------------------------------------------


def title(
    uscc: str,
    issued_on: date,
    *,
    tier: str = "specialised",
    level: str = "provincial",
    unit: str = "620100",
    status: str = "valid",
    ended_on: date | None = None,
    reason: str | None = None,
) -> domain.Title:
    return domain.Title(uscc, tier, level, unit, issued_on, ended_on, status, reason)


GANSU = targets_file().for_province("620000")
HUBEI = targets_file().for_province("420000")


def test_the_targets_file_holds_each_province_as_its_policy_words_it() -> None:
    assert GANSU is not None and HUBEI is not None
    assert targets_file().version
    assert GANSU.counting is domain.Counting.CUMULATIVE
    assert [(t.tier, t.level, t.at_least) for t in GANSU.targets] == [
        ("innovative", None, 2000),
        ("specialised", "provincial", 700),
        ("little_giant", None, 100),
    ]
    assert any("甘工信发〔2023〕128号" in s and "累计培育" in s for s in GANSU.sources)
    assert HUBEI.counting is domain.Counting.IN_FORCE
    assert [t.at_least for t in HUBEI.targets] == [10000, 5000, 500]
    assert any("数量达到10000家" in s for s in HUBEI.sources)
    assert GANSU.deadline_on == HUBEI.deadline_on == date(2025, 12, 31)  # 十四五末
    assert targets_file().for_province("520000") is None


def test_cumulative_counting_keeps_expired_and_revoked_titles_but_not_false_declarations() -> None:
    assert GANSU is not None
    titles = [
        title("A", date(2022, 3, 1), status="expired", ended_on=date(2025, 3, 2)),
        title("B", date(2024, 5, 1)),
        title(
            "C",
            date(2024, 5, 1),
            status="revoked",
            ended_on=date(2024, 9, 1),
            reason="false_declaration",
        ),
        title(
            "D", date(2023, 6, 1), status="revoked", ended_on=date(2024, 9, 1), reason="violation"
        ),
        title("B", date(2021, 5, 1), status="expired", ended_on=date(2024, 5, 2)),  # B twice
        title("E", date(2024, 7, 1), level="national"),  # not 省级: not in the 700
    ]
    [_, specialised, _] = domain.progress(
        GANSU, titles, today=date(2025, 6, 1), whole_province=True
    )
    assert (specialised.counted, specialised.cumulative_now, specialised.in_force_now) == (3, 3, 1)
    assert specialised.counted_on == date(2025, 6, 1) and specialised.met is False


def test_after_the_deadline_the_count_stands_at_the_deadline_and_today_is_shown_beside() -> None:
    assert GANSU is not None
    titles = [title("A", date(2025, 12, 31)), title("B", date(2026, 1, 1))]
    [_, specialised, _] = domain.progress(
        GANSU, titles, today=date(2026, 6, 1), whole_province=True
    )
    assert (specialised.counted_on, specialised.counted, specialised.cumulative_now) == (
        date(2025, 12, 31),
        1,
        2,
    )


def test_in_force_counting_counts_the_titles_held_on_the_deadline() -> None:
    assert HUBEI is not None
    titles = [
        title("A", date(2023, 1, 1)),
        title("B", date(2022, 1, 1), status="expired", ended_on=date(2025, 1, 2)),
        title(
            "C", date(2023, 1, 1), status="revoked", ended_on=date(2026, 2, 1), reason="violation"
        ),
        title(
            "D",
            date(2023, 1, 1),
            status="revoked",
            ended_on=date(2026, 2, 1),
            reason="false_declaration",
        ),
        title("E", date(2026, 1, 1)),
    ]
    [_, specialised, _] = domain.progress(
        HUBEI, titles, today=date(2026, 6, 1), whole_province=True
    )
    # A and C were held on 2025-12-31; B had expired; D never counts; E came later.
    assert (specialised.counted, specialised.in_force_now) == (2, 2)
    assert specialised.met is False


def test_a_part_of_the_province_never_meets_or_misses_the_province_target() -> None:
    assert GANSU is not None
    tiny = domain.TargetSet(**_with_target(GANSU, 1))
    [_, specialised, _] = domain.progress(
        tiny, [title("A", date(2024, 1, 1))], today=date(2025, 1, 1), whole_province=False
    )
    assert specialised.counted == 1 and specialised.met is None
    [_, whole, _] = domain.progress(
        tiny, [title("A", date(2024, 1, 1))], today=date(2025, 1, 1), whole_province=True
    )
    assert whole.met is True


def _with_target(target_set: domain.TargetSet, at_least: int) -> dict[str, Any]:
    fields = {f.name: getattr(target_set, f.name) for f in dataclasses.fields(target_set)}
    fields["targets"] = tuple(
        domain.Target(t.tier, t.level, at_least, t.name_zh) for t in target_set.targets
    )
    return fields


def test_counted_from_leaves_out_titles_before_it() -> None:
    assert GANSU is not None
    fields = _with_target(GANSU, 700)
    fields["counted_from"] = date(2021, 1, 1)
    since_2021 = domain.TargetSet(**fields)
    titles = [title("A", date(2020, 12, 31)), title("B", date(2021, 1, 1))]
    [_, specialised, _] = domain.progress(
        since_2021, titles, today=date(2025, 1, 1), whole_province=True
    )
    assert specialised.counted == 1


def test_rows_count_certificates_by_tier_level_unit_and_year_of_issue() -> None:
    rows = domain.title_rows(
        [
            title("A", date(2024, 1, 1)),
            title("B", date(2024, 6, 1), status="under_re_review"),
            title("C", date(2024, 6, 1), status="revoked", reason="false_declaration"),
            title("D", date(2024, 6, 1), unit="620500", status="expired"),
            title("E", date(2023, 6, 1)),
        ]
    )
    assert [(r.reporting_unit_code, r.year, r.granted, r.in_force, r.revoked) for r in rows] == [
        ("620100", 2023, 1, 1, 0),
        ("620100", 2024, 3, 2, 1),
        ("620500", 2024, 1, 0, 0),
    ]
    assert rows[1].revoked_false_declaration == 1 and rows[2].expired == 1


def test_an_unknown_province_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        domain.check_province("990000", ["620000", "420000"])
    assert refused.value.code == "province_unknown"


# --- the API ------------------------------------------------------------------------------------


async def grant(
    client: httpx.AsyncClient, headers: Headers, uscc: str, tier: str, level: str, on: date
) -> dict[str, Any]:
    with use_clock(at_noon(on)):
        response = await client.post(
            f"{URL}/certificates",
            headers=headers,
            json={"uscc": uscc, "tier": tier, "level": level, "issued_on": str(on)},
        )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def revoke(
    client: httpx.AsyncClient, headers: Headers, certificate: dict[str, Any], reason: str
) -> None:
    with use_clock(at_noon(date(2024, 9, 1))):
        response = await client.post(
            f"{URL}/certificates/{certificate['id']}/revocation",
            headers=headers,
            json={"reason": reason, "revoked_on": "2024-09-01", "note": "统计测试"},
        )
    assert response.status_code == 200, response.text


@pytest.fixture
def province(bearer: TokenFactory) -> Headers:
    return bearer("province_officer", region="620000")


async def five_titles(client: httpx.AsyncClient, province: Headers) -> None:
    """Lanzhou (620100): one expired 2022 title, one valid 2024 title, a valid 小巨人. Tianshui
    (620500, county 620503): one revoked for false declaration, one for a violation."""
    lanzhou = [await add_enterprise(client, f"TJ00000{n}") for n in (1, 2, 3)]
    tianshui = [
        await add_enterprise(client, f"TJ00001{n}", region="620503", unit="620500") for n in (1, 2)
    ]
    await grant(client, province, lanzhou[0], "specialised", "provincial", date(2022, 3, 1))
    await grant(client, province, lanzhou[1], "specialised", "provincial", date(2024, 5, 1))
    await grant(client, province, lanzhou[2], "little_giant", "national", date(2024, 7, 1))
    fraud = await grant(
        client, province, tianshui[0], "specialised", "provincial", date(2024, 5, 1)
    )
    violation = await grant(
        client, province, tianshui[1], "specialised", "provincial", date(2023, 6, 1)
    )
    await revoke(client, province, fraud, "false_declaration")
    await revoke(client, province, violation, "violation")
    with use_clock(at_noon(date(2025, 3, 2))):  # the 2022 title's last valid day was 2025-03-01
        report = await run_lifecycle(database_of(client), lead_days=90)
    assert len(report.expired) == 1


def progress_of(body: dict[str, Any], tier: str) -> dict[str, Any]:
    [found] = [p for p in body["progress"] if p["tier"] == tier]
    return found


ROW_KEYS = (
    "tier",
    "reporting_unit_code",
    "year",
    "granted",
    "in_force",
    "expired",
    "revoked",
    "revoked_false_declaration",
)


def rows_of(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [tuple(r[k] for k in ROW_KEYS) for r in body["rows"]]


async def test_the_province_sees_every_title_counted_against_the_gansu_targets(
    client: httpx.AsyncClient, province: Headers
) -> None:
    await five_titles(client, province)
    with use_clock(at_noon(date(2025, 3, 10))):
        response = await client.get(f"{URL}/statistics/titles", headers=province)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["province_code"], body["as_of"], body["whole_province"]) == (
        "620000",
        "2025-03-10",
        True,
    )
    assert body["targets"]["id"] == "gansu-2023-128"
    assert body["targets"]["file_version"] == targets_file().version
    specialised = progress_of(body, "specialised")
    # Expired (2022) and revoked for a violation count; the false declaration does not.
    assert (specialised["counted"], specialised["in_force_now"], specialised["at_least"]) == (
        3,
        1,
        700,
    )
    assert specialised["counting"] == "cumulative" and specialised["met"] is False
    assert progress_of(body, "little_giant")["counted"] == 1
    assert progress_of(body, "innovative")["counted"] == 0
    assert rows_of(body) == [
        ("little_giant", "620100", 2024, 1, 1, 0, 0, 0),
        ("specialised", "620100", 2022, 1, 0, 1, 0, 0),
        ("specialised", "620100", 2024, 1, 1, 0, 0, 0),
        ("specialised", "620500", 2023, 1, 0, 0, 1, 0),
        ("specialised", "620500", 2024, 1, 0, 0, 1, 1),
    ]
    assert body["rows"][0]["reporting_unit_name"] == "兰州市"


async def test_a_city_or_county_officer_sees_only_its_own_titles_and_no_verdict(
    client: httpx.AsyncClient, province: Headers, bearer: TokenFactory
) -> None:
    await five_titles(client, province)
    for headers in (
        bearer("city_officer", region="620500"),
        bearer("county_officer", region="620503"),
    ):
        with use_clock(at_noon(date(2025, 3, 10))):
            response = await client.get(f"{URL}/statistics/titles", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert {r["reporting_unit_code"] for r in body["rows"]} == {"620500"}
        assert body["whole_province"] is False
        specialised = progress_of(body, "specialised")
        assert (specialised["counted"], specialised["met"]) == (1, None)
    lanzhou = bearer("city_officer", region="620100")
    with use_clock(at_noon(date(2025, 3, 10))):
        body = (await client.get(f"{URL}/statistics/titles", headers=lanzhou)).json()
    assert {r["reporting_unit_code"] for r in body["rows"]} == {"620100"}


async def test_another_province_is_forbidden_and_an_unknown_one_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    city = bearer("city_officer", region="620100")
    for path in ("titles", "titles/export", "targets", "funnel"):
        forbidden = await client.get(
            f"{URL}/statistics/{path}", headers=city, params={"province_code": "420000"}
        )
        assert forbidden.status_code == 403, (path, forbidden.text)
        assert forbidden.headers["content-type"] == "application/problem+json"
        assert forbidden.json()["code"] == "region_forbidden"
        unknown = await client.get(
            f"{URL}/statistics/{path}", headers=city, params={"province_code": "990000"}
        )
        assert unknown.status_code == 422 and unknown.json()["code"] == "province_unknown"
        malformed = await client.get(
            f"{URL}/statistics/{path}", headers=city, params={"province_code": "62"}
        )
        assert malformed.status_code == 422, path


async def test_a_platform_admin_reads_hubei_counted_the_hubei_way(
    client: httpx.AsyncClient, province: Headers, bearer: TokenFactory
) -> None:
    await five_titles(client, province)
    admin = bearer("platform_admin")
    body = (
        await client.get(
            f"{URL}/statistics/titles", headers=admin, params={"province_code": "420000"}
        )
    ).json()
    assert body["targets"]["counting"] == "in_force"
    assert body["rows"] == []  # the Gansu titles are not Hubei's
    assert [p["at_least"] for p in body["progress"]] == [10000, 5000, 500]
    assert {p["counted"] for p in body["progress"]} == {0}
    guizhou = await client.get(
        f"{URL}/statistics/targets", headers=admin, params={"province_code": "520000"}
    )
    assert guizhou.status_code == 404 and guizhou.json()["code"] == "targets_not_found"


async def test_the_targets_are_read_with_their_sources_and_version(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    agency = bearer("agency_system", region="620000", scopes=("certification:read",))
    response = await client.get(f"{URL}/statistics/targets", headers=agency)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["file_version"], body["counting"]) == (
        "gansu-2023-128",
        targets_file().version,
        "cumulative",
    )
    assert [t["at_least"] for t in body["targets"]] == [2000, 700, 100]
    assert "unverified" in body["counted_from_verification"]


async def test_the_rows_export_as_csv(client: httpx.AsyncClient, province: Headers) -> None:
    await five_titles(client, province)
    with use_clock(at_noon(date(2025, 3, 10))):
        exported = await client.get(f"{URL}/statistics/titles/export", headers=province)
        shown = (await client.get(f"{URL}/statistics/titles", headers=province)).json()
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "title-statistics-620000-2025-03-10.csv" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(table) == len(shown["rows"]) == 5
    assert table[0] == {k: str(v) for k, v in shown["rows"][0].items()}
    assert table[0]["reporting_unit_name"] == "兰州市"


async def test_the_csv_export_is_declared_in_openapi(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/certification/openapi.json")).json()
    content = document["paths"]["/api/certification/v1/statistics/titles/export"]["get"][
        "responses"
    ]["200"]["content"]
    assert "text/csv" in content


async def test_who_may_read_the_statistics(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    allowed = (
        bearer("province_officer", region="620000"),
        bearer("city_officer", region="620100"),
        bearer("county_officer", region="620102"),
        bearer("platform_admin"),
        bearer("agency_system", region="620000", scopes=("certification:read",)),
    )
    refused = (
        bearer("agency_system", region="620000", scopes=("registry:read",)),
        bearer("enterprise", uscc=await add_enterprise(client, "TJ000099")),
        bearer("bank", region="620000", scopes=("certification:read",)),
        bearer("expert", region="620000", scopes=("certification:read",)),
    )
    for path in ("titles", "titles/export", "targets", "funnel"):
        for headers in allowed:
            response = await client.get(f"{URL}/statistics/{path}", headers=headers)
            assert response.status_code == 200, (path, response.text)
        for headers in refused:
            response = await client.get(f"{URL}/statistics/{path}", headers=headers)
            assert response.status_code == 403, (path, response.text)
        assert (await client.get(f"{URL}/statistics/{path}")).status_code == 401
