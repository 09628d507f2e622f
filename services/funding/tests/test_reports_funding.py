"""The funding report (issue 9 item 9): by policy, fund, 市州 and year, the entitlements and the
money entitled, committed, paid, ordered back and recovered — worked figures, region scope, CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import httpx

from services.funding.tests.budget_support import allocate
from services.funding.tests.clawback_support import approve, funded, pay, revoked_for
from services.funding.tests.entitlement_support import (
    LANZHOU,
    QILIHE,
    QINZHOU,
    TIANSHUI,
    URL,
    WAN,
    database_of,
    entitlements_of,
    grant,
    granted,
    known_enterprise,
)
from sme_common.events.consumer import Outcome
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

REPORT = f"{URL}/reports/funding"
FIGURES = (
    "entitlements",
    "entitled_fen",
    "committed_fen",
    "paid_fen",
    "recovery_raised_fen",
    "recovered_fen",
    "outstanding_recovery_fen",
)


async def _book(client: httpx.AsyncClient, bearer: TokenFactory) -> None:
    """A (城关, 兰州): 30万 provincial award paid, clawed back, 10万 received back.
    B (七里河, 兰州): 50万 national 小巨人 award approved (committed, unpaid).
    C (秦州, 天水): 30万 provincial award of 2025, pending (nothing committed).
    D (城关, 兰州): 30万 provincial award cancelled by its certificate's revocation."""
    db = database_of(client)
    province = bearer("province_officer", region="620000")
    fund = await funded(client, bearer, LANZHOU, 200 * WAN)
    assert (await allocate(client, province, fund["id"], TIANSHUI, 100 * WAN)).status_code == 201
    a = await known_enterprise(db, "RP00000A")
    b = await known_enterprise(db, "RP00000B", region=QILIHE)
    c = await known_enterprise(db, "RP00000C", region=QINZHOU, unit=TIANSHUI)
    d = await known_enterprise(db, "RP00000D")
    assert await grant(db, granted(a, "cert_rpa")) is Outcome.APPLIED
    national = granted(b, "cert_rpb", tier="little_giant", level="national")
    assert await grant(db, national) is Outcome.APPLIED
    assert await grant(db, granted(c, "cert_rpc", issued_on=date(2025, 5, 1))) is Outcome.APPLIED
    assert await grant(db, granted(d, "cert_rpd")) is Outcome.APPLIED
    [ea], [eb], [ec], [_ed] = [await entitlements_of(db, u) for u in (a, b, c, d)]
    assert (eb.policy_code, eb.amount_fen) == ("GS-XJR-NATIONAL", 50 * WAN)
    assert (ec.year, ec.region_code) == (2025, TIANSHUI)
    await pay(db, ea.id)
    await approve(db, eb.id)
    for uscc, certificate in ((a, "cert_rpa"), (d, "cert_rpd")):
        assert await grant(db, revoked_for(uscc, certificate)) is Outcome.APPLIED
    city = bearer("city_officer", region=LANZHOU)
    [order] = (await client.get(f"{URL}/recovery-orders", headers=city)).json()["items"]
    receipt = {"amount_fen": 10 * WAN, "received_on": "2026-06-10", "receipt_ref": "GK-RP-1"}
    posted = await client.post(
        f"{URL}/recovery-orders/{order['id']}/receipts", json=receipt, headers=city
    )
    assert posted.status_code == 201, posted.text


def _rows(body: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    rows = {r["key"]: tuple(r[f] for f in FIGURES) for r in body["rows"]}
    rows["total"] = tuple(body["total"][f] for f in FIGURES)
    return rows


async def test_the_report_by_policy_fund_region_and_year_adds_up(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _book(client, bearer)
    province = bearer("province_officer", region="620000")
    total = (4, 110 * WAN, 80 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN)

    async def report(**params: Any) -> dict[str, tuple[int, ...]]:
        response = await client.get(REPORT, params=params, headers=province)
        assert response.status_code == 200, response.text
        return _rows(response.json())

    assert await report(group_by="policy") == {
        "GS-XJR-NATIONAL": (1, 50 * WAN, 50 * WAN, 0, 0, 0, 0),
        "GS-ZJTX-PROV-FIRST": (3, 60 * WAN, 30 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN),
        "total": total,
    }
    assert await report(group_by="fund") == {"sme-development-fund": total, "total": total}
    assert await report(group_by="region") == {
        LANZHOU: (3, 80 * WAN, 80 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN),
        TIANSHUI: (1, 30 * WAN, 0, 0, 0, 0, 0),
        "total": total,
    }
    assert await report(group_by="year") == {
        "2025": (1, 30 * WAN, 0, 0, 0, 0, 0),
        "2026": (3, 80 * WAN, 80 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN),
        "total": total,
    }
    assert await report(group_by="policy", year=2026) == {
        "GS-XJR-NATIONAL": (1, 50 * WAN, 50 * WAN, 0, 0, 0, 0),
        "GS-ZJTX-PROV-FIRST": (2, 30 * WAN, 30 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN),
        "total": (3, 80 * WAN, 80 * WAN, 30 * WAN, 30 * WAN, 10 * WAN, 20 * WAN),
    }
    assert await report(group_by="year", year=2024) == {"total": (0,) * 7}


async def test_each_officer_sees_the_figures_of_their_region_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _book(client, bearer)
    tianshui = bearer("city_officer", region=TIANSHUI)
    body = (await client.get(REPORT, params={"group_by": "region"}, headers=tianshui)).json()
    assert _rows(body) == {
        TIANSHUI: (1, 30 * WAN, 0, 0, 0, 0, 0),
        "total": (1, 30 * WAN, 0, 0, 0, 0, 0),
    }
    qilihe = bearer("county_officer", region=QILIHE)
    body = (await client.get(REPORT, params={"group_by": "policy"}, headers=qilihe)).json()
    assert _rows(body)["total"] == (1, 50 * WAN, 50 * WAN, 0, 0, 0, 0)
    enterprise = bearer("enterprise", uscc=make_uscc(region="620102", body="RP00000A"))
    refused = await client.get(REPORT, headers=enterprise)
    assert refused.status_code == 403


async def test_the_report_as_csv_by_query_or_accept_header(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _book(client, bearer)
    province = bearer("province_officer", region="620000")
    by_query = await client.get(
        REPORT, params={"group_by": "region", "format": "csv"}, headers=province
    )
    by_accept = await client.get(
        REPORT, params={"group_by": "region"}, headers={**province, "Accept": "text/csv"}
    )
    for response in (by_query, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content == by_query.content
    rows = list(csv.reader(io.StringIO(by_query.content.decode("utf-8-sig"))))
    assert rows == [
        ["region", *FIGURES],
        [LANZHOU, "3", "80000000", "80000000", "30000000", "30000000", "10000000", "20000000"],
        [TIANSHUI, "1", "30000000", "0", "0", "0", "0", "0"],
        ["total", "4", "110000000", "80000000", "30000000", "30000000", "10000000", "20000000"],
    ]
    as_json = await client.get(REPORT, params={"format": "json"}, headers=province)
    assert as_json.headers["content-type"].startswith("application/json")
