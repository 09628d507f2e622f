"""Respondent records (cases, money owed, paid and under agreement, repeat complaints), the yearly
disclosure figures with each body's publishing deadline, and duplicates flagged at intake: in the
officer's region, with worked figures, never the complainant's contact."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import httpx

from services.complaints.tests.support import (
    API,
    COMPLAINANT,
    HOTLINE_SCOPES,
    RESPONDENT,
    complaint,
    register,
    step,
)
from sme_common import clock
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_complaints.respondents.domain import respondent_key

OTHER_COMPLAINANT = make_uscc(region="620102", body="CP000002")
BUREAU = "城关区某某局"
BUREAU_KEY = respondent_key(None, "620102", BUREAU)


def who(bearer: TokenFactory) -> dict[str, dict[str, str]]:
    return {
        "hotline": bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-12345"),
        "province": bearer("province_officer", region="620000"),
        "lanzhou": bearer("city_officer", region="620100"),
        "chengguan": bearer("county_officer", region="620102"),
        "jiayuguan": bearer("city_officer", region="620200"),
    }


async def file(
    client: httpx.AsyncClient, headers: dict[str, str], order: str, **changes: Any
) -> str:
    fixed = clock.current_clock()
    if isinstance(fixed, clock.FixedClock):  # one filing a minute: the cases have an order
        fixed.advance(timedelta(minutes=1))
    answer = await client.post(
        f"{API}/cases", headers=headers, json=complaint(work_order_no=order, **changes)
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]  # type: ignore[no-any-return]


def contract(signed: str, delivered: str | None, amount: int) -> dict[str, Any]:
    body: dict[str, Any] = {"signed_on": signed, "subject": "goods", "amount_fen": amount}
    if delivered is not None:
        body["delivered_on"] = delivered
    return body


async def resolve(
    client: httpx.AsyncClient, w: dict[str, dict[str, str]], case_id: str, **result: Any
) -> None:
    for headers, action, version in (
        (w["province"], "accept", 1),
        (w["province"], "transfer", 2),
        (w["lanzhou"], "receive", 3),
    ):
        answer = await step(client, headers, case_id, action, version)
        assert answer.status_code == 200, answer.text
    answer = await step(
        client, w["lanzhou"], case_id, "resolve", 4, written_result="处理结果", **result
    )
    assert answer.status_code == 200, answer.text


async def seed(client: httpx.AsyncClient, w: dict[str, dict[str, str]]) -> dict[str, str]:
    """Four cases against one bureau (known by name, spelt two ways), one against a registered
    large enterprise, one each against a public hospital with no delivery date and a bureau of
    another city, and one contract delivered late in 2025."""
    ids = {}
    ids["a1"] = await file(client, w["hotline"], "R-1")  # 60 000 000 owed, signed 2025-07-01
    ids["a2"] = await file(
        client,
        w["hotline"],
        "R-2",
        **{
            "complainant.uscc": OTHER_COMPLAINANT,
            "respondent.name": "城关区 某某局",  # the same bureau, spelt with a space
            "contract": contract("2025-09-01", "2025-09-10", 50_000_000),
            "amount_owed_fen": 40_000_000,
        },
    )
    ids["a3"] = await file(
        client,
        w["hotline"],
        "R-3",
        contract=contract("2025-10-01", "2025-10-10", 30_000_000),
        amount_owed_fen=30_000_000,
    )
    ids["a4"] = await file(
        client,
        w["hotline"],
        "R-4",
        **{
            "complainant.uscc": OTHER_COMPLAINANT,
            "contract": contract("2025-11-01", "2025-11-05", 9_000_000),
            "amount_owed_fen": 9_000_000,
        },
    )
    await resolve(client, w, ids["a1"], outcome="paid_in_full", amount_paid_fen=60_000_000)
    await resolve(client, w, ids["a2"], outcome="paid_in_part", amount_paid_fen=10_000_000)
    await resolve(
        client,
        w,
        ids["a3"],
        outcome="repayment_agreement",
        amount_paid_fen=5_000_000,
        agreement_due_on="2026-12-31",
    )
    refused = await step(
        client,
        w["province"],
        ids["a4"],
        "not_accept",
        1,
        reason_code="not_yet_due",
        remarks="未到期",
    )
    assert refused.status_code == 200, refused.text
    await register(client, RESPONDENT)
    ids["b"] = await file(
        client,
        w["hotline"],
        "R-5",
        **{
            "respondent.name": "某某集团有限公司",
            "respondent.uscc": RESPONDENT,
            "respondent.type": "large_enterprise",
            "contract": contract("2025-07-01", "2025-08-01", 20_000_000),
            "amount_owed_fen": 20_000_000,
        },
    )
    ids["f"] = await file(
        client,
        w["hotline"],
        "R-6",
        **{
            "respondent.name": "城关区某某医院",
            "respondent.type": "public_institution",
            "contract": {**contract("2025-07-01", None, 8_000_000), "accepted_on": "2025-08-01"},
            "amount_owed_fen": 8_000_000,
        },
    )
    ids["e"] = await file(
        client,
        w["hotline"],
        "R-7",
        **{
            "respondent.name": "城关区另一局",
            "contract": contract("2025-12-01", "2025-12-15", 7_000_000),
            "amount_owed_fen": 7_000_000,
        },
    )
    ids["d"] = await file(
        client,
        w["hotline"],
        "R-8",
        **{
            "respondent.name": "嘉峪关市某某局",
            "respondent.region_code": "620200",
            "contract": contract("2025-07-01", "2025-08-01", 5_000_000),
            "amount_owed_fen": 5_000_000,
        },
    )
    return ids


async def ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_respondent_record_adds_up_its_cases_and_money(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    w = who(bearer)
    ids = await seed(client, w)
    bureau = await ok(await client.get(f"{API}/respondents/{BUREAU_KEY}", headers=w["province"]))
    figures = bureau["figures"]
    assert figures["name"] == BUREAU
    assert (figures["cases"], figures["settled_cases"], figures["not_accepted_cases"]) == (4, 3, 1)
    assert (figures["complainants"], figures["repeat"]) == (2, True)
    assert figures["repeat_by_same_complainant"] is True
    # Owed 60 + 40 + 30 million (the refused case left out); paid 60 + 10 + 5; the agreement
    # covers 30 − 5; what is still owed is the rest of the part payment, 40 − 10.
    assert figures["amount_owed_fen"] == 130_000_000
    assert figures["amount_paid_fen"] == 75_000_000
    assert figures["amount_under_agreement_fen"] == 25_000_000
    assert figures["amount_outstanding_fen"] == 30_000_000
    assert [c["case_id"] for c in bureau["cases"]] == [ids["a1"], ids["a2"], ids["a3"], ids["a4"]]
    assert [c["complainant_no"] for c in bureau["cases"]] == [1, 2, 1, 2]
    assert [c["outcome"] for c in bureau["cases"]] == [
        "paid_in_full",
        "paid_in_part",
        "repayment_agreement",
        None,
    ]
    for text in (COMPLAINANT, OTHER_COMPLAINANT, "13800000000", "张三"):
        assert text not in str(bureau), text
    large = await ok(await client.get(f"{API}/respondents/{RESPONDENT}", headers=w["province"]))
    assert (large["figures"]["cases"], large["figures"]["repeat"]) == (1, False)
    assert large["figures"]["amount_outstanding_fen"] == 20_000_000


async def test_officers_see_the_respondents_of_their_region_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    w = who(bearer)
    await seed(client, w)

    async def names(headers: dict[str, str], **params: Any) -> list[str]:
        page = await ok(await client.get(f"{API}/respondents", headers=headers, params=params))
        return sorted(r["name"] for r in page["items"])

    ours = sorted([BUREAU, "某某集团有限公司", "城关区某某医院", "城关区另一局"])
    assert await names(w["province"]) == sorted([*ours, "嘉峪关市某某局"])
    assert await names(w["chengguan"]) == ours
    assert await names(w["jiayuguan"]) == ["嘉峪关市某某局"]
    assert await names(bearer("county_officer", region="620103")) == []
    assert await names(w["province"], repeat_only="true") == [BUREAU]
    assert await names(w["province"], respondent_type="large_enterprise") == ["某某集团有限公司"]
    first = await ok(
        await client.get(f"{API}/respondents", headers=w["province"], params={"limit": 2})
    )
    rest = await ok(
        await client.get(
            f"{API}/respondents", headers=w["province"], params={"cursor": first["next_cursor"]}
        )
    )
    assert len(first["items"]) + len(rest["items"]) == 5 and rest["next_cursor"] is None
    outside = await client.get(f"{API}/respondents/{BUREAU_KEY}", headers=w["jiayuguan"])
    assert outside.status_code == 404 and outside.json()["code"] == "respondent_not_found"
    for headers in (
        w["hotline"],
        bearer("enterprise", uscc=RESPONDENT),
        bearer("enterprise", uscc=COMPLAINANT),
    ):
        for path in (
            "/respondents",
            f"/respondents/{BUREAU_KEY}",
            "/reports/overdue-disclosure?year=2025",
        ):
            refused = await client.get(f"{API}{path}", headers=headers)
            assert refused.status_code == 403, (path, refused.text)
    bad = await client.get(f"{API}/respondents/not-a-key", headers=w["province"])
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


async def test_the_yearly_disclosure_counts_overdue_contracts_and_says_when_to_publish(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    w = who(bearer)
    await seed(client, w)
    report = await ok(
        await client.get(
            f"{API}/reports/overdue-disclosure", headers=w["province"], params={"year": 2025}
        )
    )
    rows = {r["name"]: r for r in report["items"]}
    # The bureau: due 2025-08-31, 2025-10-10 and 2025-11-09, all past by the year's end (the
    # one paid in full was paid in 2026); the refused case is not a contract it owes.
    assert (rows[BUREAU]["overdue_contracts"], rows[BUREAU]["overdue_amount_fen"]) == (
        3,
        130_000_000,
    )
    assert rows[BUREAU]["publish_by"] == "2026-03-31"
    # The large enterprise: 60 days from 2025-08-01, due 2025-09-30; its report by 30 June.
    assert rows["某某集团有限公司"]["overdue_contracts"] == 1
    assert rows["某某集团有限公司"]["publish_by"] == "2026-06-30"
    # The hospital's contract has no delivery date: counted as undetermined, not guessed.
    assert (
        rows["城关区某某医院"]["overdue_contracts"],
        rows["城关区某某医院"]["undetermined_contracts"],
    ) == (0, 1)
    # Delivered 2025-12-15, due 2026-01-14: not overdue in 2025.
    assert "城关区另一局" not in rows
    assert report["total_overdue_contracts"] == 3 + 1 + 1  # and 嘉峪关's bureau
    assert report["total_overdue_amount_fen"] == 130_000_000 + 20_000_000 + 5_000_000
    deadlines = {d["respondent_type"]: d for d in report["deadlines"]}
    assert deadlines["government_body"]["publish_by"] == "2026-03-31"
    assert "第十八条" in deadlines["government_body"]["article"]
    assert deadlines["large_enterprise"]["publish_by"] == "2026-06-30"
    next_year = await ok(
        await client.get(
            f"{API}/reports/overdue-disclosure",
            headers=w["chengguan"],
            params={"year": 2026, "respondent_type": "government_body"},
        )
    )
    rows = {r["name"]: r for r in next_year["items"]}
    # 2026: the one paid in full before the year began would drop out; this one was paid in
    # 2026, so it was still overdue in it; the late-2025 delivery is overdue now; no 嘉峪关.
    assert sorted(rows) == sorted([BUREAU, "城关区另一局"])
    assert rows[BUREAU]["overdue_contracts"] == 3
    assert [d["respondent_type"] for d in next_year["deadlines"]] == ["government_body"]
    assert next_year["deadlines"][0]["publish_by"] == "2027-03-31"


async def test_the_disclosure_exports_as_csv(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    w = who(bearer)
    await seed(client, w)
    answer = await client.get(
        f"{API}/reports/overdue-disclosure",
        headers=w["chengguan"],
        params={"year": 2025, "format": "csv"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["key", "name"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name[BUREAU][5:7] == ["3", "130000000"]
    assert by_name[BUREAU][8] == "2026-03-31"
    assert rows[-1][0] == "total" and rows[-1][5:7] == ["4", "150000000"]
    via_accept = await client.get(
        f"{API}/reports/overdue-disclosure",
        headers={**w["chengguan"], "Accept": "text/csv"},
        params={"year": 2025},
    )
    assert via_accept.content == answer.content
    bad_queries: list[dict[str, str | int]] = [
        {},
        {"year": 1999},
        {"year": 2025, "format": "xml"},
        {"year": 2025, "x": 1},
    ]
    for bad in bad_queries:
        refused = await client.get(
            f"{API}/reports/overdue-disclosure", headers=w["province"], params=bad
        )
        assert refused.status_code == 422, (bad, refused.text)


async def test_the_same_contract_filed_again_is_flagged_and_counted_once(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    w = who(bearer)
    first = await file(client, w["hotline"], "D-1")
    web = bearer("enterprise", uscc=COMPLAINANT)
    again = await client.post(f"{API}/cases", headers=web, json=complaint(work_order_no=None))
    assert again.status_code == 201, again.text
    assert again.json()["possible_duplicate_of"] == first
    other = await file(
        client,
        w["hotline"],
        "D-2",
        contract=contract("2025-07-01", "2025-08-01", 130_000_000),
    )
    shown = await ok(await client.get(f"{API}/cases/{other}", headers=w["province"]))
    assert shown["possible_duplicate_of"] is None  # another contract (amount), not a duplicate
    bureau = await ok(await client.get(f"{API}/respondents/{BUREAU_KEY}", headers=w["province"]))
    assert (bureau["figures"]["cases"], bureau["figures"]["possible_duplicates"]) == (3, 1)
    report = await ok(
        await client.get(
            f"{API}/reports/overdue-disclosure", headers=w["province"], params={"year": 2025}
        )
    )
    assert report["items"][0]["overdue_contracts"] == 2  # the duplicate is not a third contract
