"""Monitoring: guarantee fees per agency against the ≤ 1.5 % target, loan statistics; worked
figures, scopes (region, own institution), periods and CSV."""

from __future__ import annotations

from typing import Any

import httpx
from finance_support import API, create_institution, institution_client, officer
from test_feedback_api import NEIGHBOUR, OWN, TIANSHUI, granted, post, setup

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

AGENCY_D_USCC = make_uscc(region="620500", body="GA00000D")


def guarantee(external_id: str, uscc: str, fee: str, amount_fen: int, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "external_id": external_id,
        "uscc": uscc,
        "amount_fen": amount_fen,
        "annual_rate_ratio": None,
        "guarantee_fee_ratio": fee,
        "first_time_borrower": False,
    }
    return granted(**{**fields, **overrides})


async def guarantees(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, Any]:
    """Agency C: 1.2 % (100万), 1.5 % (200万), 2.0 % (300万, in 天水) this year and 3.0 % in 2025;
    agency D: 1.0 % (50万)."""
    ids = await setup(client, bearer)
    d = await create_institution(
        client,
        officer(bearer),
        AGENCY_D_USCC,
        "agency-d",
        kind="guarantee_agency",
        region_codes=["620000"],
    )
    ids["d"] = d["id"]
    agency_c = institution_client(bearer, "agency-c", role="guarantor")
    agency_d = institution_client(bearer, "agency-d", role="guarantor")
    for headers, body in (
        (agency_c, guarantee("c1", OWN, "0.012", 100_000_000, first_time_borrower=True)),
        (agency_c, guarantee("c2", NEIGHBOUR, "0.015", 200_000_000)),
        (agency_c, guarantee("c3", TIANSHUI, "0.02", 300_000_000)),
        (agency_c, guarantee("c0", OWN, "0.03", 400_000_000, outcome_on="2025-06-01")),
        (agency_d, guarantee("d1", OWN, "0.010", 50_000_000)),
    ):
        response = await post(client, headers, body)
        assert response.status_code == 201, response.text
    return ids


async def fees(client: httpx.AsyncClient, headers: Any, **params: Any) -> httpx.Response:
    return await client.get(f"{API}/monitoring/guarantee-fees", params=params, headers=headers)


async def test_fee_figures_per_agency_against_the_target_in_the_period(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await guarantees(client, bearer)
    response = await fees(client, officer(bearer), from_on="2026-01-01", to_on="2026-12-31")
    assert response.status_code == 200, response.text
    monitor = response.json()
    assert monitor["target"]["max_fee_ratio"] == "0.015"
    assert "十四" in monitor["target"]["source"]
    by_agency = {row["institution_id"]: row for row in monitor["items"]}
    assert set(by_agency) == {ids["c"], ids["d"]}
    c = by_agency[ids["c"]]
    assert (c["guarantee_count"], c["amount_fen"]) == (3, 600_000_000)
    assert c["average_fee_ratio"] == "0.015667"  # (1.2 + 1.5 + 2.0) / 3 %
    assert c["weighted_fee_ratio"] == "0.017000"  # (1×1.2 + 2×1.5 + 3×2.0) / 6 %
    assert c["max_fee_ratio"] == "0.020000"
    # 1.5 % meets the target; only 2.0 % is above it.
    assert (c["above_target_count"], c["above_target_amount_fen"]) == (1, 300_000_000)
    assert c["above_target_share"] == "0.333333" and c["first_time_count"] == 1
    d = by_agency[ids["d"]]
    assert (d["guarantee_count"], d["above_target_count"], d["above_target_share"]) == (
        1,
        0,
        "0.000000",
    )
    totals = monitor["totals"]
    assert (totals["guarantee_count"], totals["amount_fen"], totals["above_target_count"]) == (
        4,
        650_000_000,
        1,
    )
    # Without the period, the 2025 guarantee at 3.0 % counts too.
    everything = (await fees(client, officer(bearer))).json()
    assert everything["totals"]["guarantee_count"] == 5
    assert everything["totals"]["max_fee_ratio"] == "0.030000"
    # An empty period: no rows, zero totals.
    empty = (await fees(client, officer(bearer), from_on="2020-01-01", to_on="2020-12-31")).json()
    assert empty["items"] == [] and empty["totals"]["guarantee_count"] == 0
    assert empty["totals"]["above_target_share"] is None
    bad = await fees(client, officer(bearer), from_on="2026-02-01", to_on="2026-01-01")
    assert bad.status_code == 422 and bad.json()["code"] == "period_invalid"


async def test_fee_figures_follow_the_region_and_each_institution_sees_its_own(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await guarantees(client, bearer)
    tianshui = (await fees(client, officer(bearer, "620500", "city_officer"))).json()
    assert [(r["institution_id"], r["guarantee_count"]) for r in tianshui["items"]] == [
        (ids["c"], 1)
    ]
    assert tianshui["totals"]["above_target_count"] == 1
    as_d = (await fees(client, institution_client(bearer, "agency-d", role="guarantor"))).json()
    assert [r["institution_id"] for r in as_d["items"]] == [ids["d"]]
    assert as_d["totals"]["guarantee_count"] == 1
    as_bank = (await fees(client, institution_client(bearer, "bank-a"))).json()
    assert as_bank["items"] == [] and as_bank["totals"]["guarantee_count"] == 0
    refused = await fees(client, bearer("enterprise", uscc=OWN))
    assert refused.status_code == 403


async def test_the_fee_monitor_exports_csv(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    ids = await guarantees(client, bearer)
    for response in (
        await fees(client, officer(bearer), format="csv", from_on="2026-01-01"),
        await client.get(
            f"{API}/monitoring/guarantee-fees",
            params={"from_on": "2026-01-01"},
            headers={**officer(bearer), "Accept": "text/csv"},
        ),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("institution_id,institution_name,guarantee_count,amount_fen")
        rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
        assert rows[ids["c"]][2:4] == ["3", "600000000"]
        assert rows[""][2] == "4"  # the totals


async def loans_setup(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, Any]:
    ids = await guarantees(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    bank_b = institution_client(bearer, "bank-b")
    for headers, body in (
        (bank_a, granted(external_id="a1", need_id=ids["need"])),  # specialised, 首贷, 2.5亿分
        (
            bank_a,
            granted(
                external_id="a2",
                uscc=NEIGHBOUR,
                amount_fen=100_000_000,
                annual_rate_ratio="0.04",
                guarantee_fee_ratio="0.012",
                first_time_borrower=False,
                outcome_on="2026-10-15",
            ),
        ),
        (bank_b, {"external_id": "b1", "uscc": NEIGHBOUR, "outcome": "contacted"}),
        (
            bank_b,
            {
                "external_id": "b2",
                "uscc": NEIGHBOUR,
                "outcome": "refused",
                "refusal_reason_code": "weak_financials",
                "refusal_reason": "经营现金流不足",
            },
        ),
    ):
        response = await post(client, headers, body)
        assert response.status_code == 201, response.text
    return ids


async def loans(client: httpx.AsyncClient, headers: Any, **params: Any) -> Any:
    response = await client.get(f"{API}/monitoring/loans", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_loan_statistics_by_institution_tier_unit_and_month(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await loans_setup(client, bearer)
    province = officer(bearer)
    by_institution = await loans(client, province)
    rows = {r["key"]: r for r in by_institution["items"]}
    assert set(rows) == {ids["a"], ids["b"]}  # guarantee agencies' guarantees are not loans
    a, b = rows[ids["a"]], rows[ids["b"]]
    assert (a["granted_count"], a["granted_amount_fen"]) == (2, 350_000_000)
    assert (a["first_time_count"], a["first_time_amount_fen"]) == (1, 250_000_000)
    assert a["average_rate_ratio"] == "0.037250" and a["guaranteed_count"] == 1
    assert a["label"].startswith("测试银行")
    assert (b["contacted_count"], b["refused_count"], b["granted_count"]) == (1, 1, 0)
    assert b["average_rate_ratio"] is None
    totals = by_institution["totals"]
    assert (totals["granted_count"], totals["contacted_count"], totals["refused_count"]) == (
        2,
        1,
        1,
    )
    tiers = {
        r["key"]: r["granted_count"]
        for r in (await loans(client, province, group_by="tier"))["items"]
    }
    assert tiers == {"specialised": 1, "unknown": 1}
    units = (await loans(client, province, group_by="reporting_unit"))["items"]
    assert [(r["key"], r["granted_count"]) for r in units] == [("620100", 2)]
    months = (await loans(client, province, group_by="month"))["items"]
    assert [(r["key"], r["granted_count"]) for r in months] == [("2026-10", 1), ("2026-11", 1)]
    november = await loans(client, province, from_on="2026-11-01", to_on="2026-11-30")
    assert november["totals"]["granted_amount_fen"] == 250_000_000
    first_tier = await loans(client, province, tier="specialised")
    assert first_tier["totals"]["first_time_count"] == 1


async def test_loan_statistics_scope_and_csv(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await loans_setup(client, bearer)
    as_b = await loans(client, institution_client(bearer, "bank-b"))
    assert [r["key"] for r in as_b["items"]] == [ids["b"]]
    asking_for_a = await loans(
        client, institution_client(bearer, "bank-b"), institution_id=ids["a"]
    )
    assert asking_for_a["items"] == [] and asking_for_a["totals"]["granted_count"] == 0
    tianshui = await loans(client, officer(bearer, "620500", "city_officer"))
    assert tianshui["items"] == [] and tianshui["totals"]["granted_count"] == 0
    response = await client.get(
        f"{API}/monitoring/loans",
        params={"group_by": "tier", "format": "csv"},
        headers=officer(bearer),
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["tier", "label", "contacted_count", "refused_count"]
    assert [line.split(",")[0] for line in lines[1:]] == ["specialised", "unknown", ""]
    assert (
        await client.get(f"{API}/monitoring/loans", headers=bearer("enterprise", uscc=OWN))
    ).status_code == 403
