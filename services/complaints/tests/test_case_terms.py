"""The payment terms and late interest shown on a case: the case's own contract facts through the
terms rules (worked figures), for whoever may read the case and no one else, never its contact."""

from __future__ import annotations

from typing import Any

import httpx

from services.complaints.tests.support import API, COMPLAINANT, HOTLINE_SCOPES, complaint
from sme_common.testing.plugin import TokenFactory


def hotline(bearer: TokenFactory, client_id: str = "hotline-12345") -> dict[str, str]:
    return bearer("hotline", scopes=HOTLINE_SCOPES, client_id=client_id)


async def filed(client: httpx.AsyncClient, bearer: TokenFactory, **changes: Any) -> str:
    answer = await client.post(f"{API}/cases", headers=hotline(bearer), json=complaint(**changes))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]  # type: ignore[no-any-return]


async def terms_of(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: str, as_of: str | None = None
) -> dict[str, Any]:
    params = {} if as_of is None else {"as_of": as_of}
    answer = await client.get(
        f"{API}/cases/{case_id}/payment-terms", headers=headers, params=params
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


async def test_a_government_body_pays_30_days_from_delivery_else_0_05_percent_a_day(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    case_id = await filed(client, bearer)
    # Signed 2025-07-01 (国务院令第802号), delivered 2025-08-01: day 30 is Sunday 2025-08-31, so
    # the last day is Monday 2025-09-01 (民法典 第二百零三条); on 2025-10-15 44 days late;
    # 60 000 000 fen × 0.0005 × 44 = 1 320 000 fen.
    shown = await terms_of(client, hotline(bearer), case_id, "2025-10-15")
    assert shown["determined"] is True
    assert shown["facts"]["payment_basis"] == "delivery"
    evaluation = shown["evaluation"]
    assert evaluation["regulation"]["code"] == "sc_802_2025"
    assert (evaluation["term_days"], evaluation["due_on"]) == (30, "2025-09-01")
    assert (evaluation["days_overdue"], evaluation["interest_fen"]) == (44, 1_320_000)
    assert evaluation["interest"]["basis"] == "statutory_daily"
    assert [line["code"] for line in evaluation["explanation"]][-1] == "interest_statutory"
    # Without as_of: today (2026-09-23), 387 days late: 60 000 000 × 0.0005 × 387.
    today = await terms_of(client, hotline(bearer), case_id)
    assert today["as_of"] == "2026-09-23"
    assert today["evaluation"]["days_overdue"] == 387
    assert today["evaluation"]["interest_fen"] == 11_610_000


async def test_an_agreed_daily_rate_applies_and_the_lpr_at_signing_is_its_floor(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    agreed = await filed(client, bearer, **{"contract.agreed_rate": "0.0002", "work_order_no": "A"})
    shown = await terms_of(client, hotline(bearer), agreed, "2025-10-15")
    # 0.0002 a day = 7.2% a year, above the 3.00% LPR of 2025-05-20:
    # 60 000 000 × 7.2% ÷ 360 × 44 = 528 000 fen.
    assert shown["facts"]["agreed_annual_rate_percent"] == "7.2"
    assert shown["evaluation"]["interest"]["basis"] == "agreed"
    assert shown["evaluation"]["interest_fen"] == 528_000
    low = await filed(client, bearer, **{"contract.agreed_rate": "0.00005", "work_order_no": "B"})
    floored = await terms_of(client, hotline(bearer), low, "2025-10-15")
    # 0.00005 a day = 1.8% a year, below the LPR: 60 000 000 × 3.00% ÷ 360 × 44 = 220 000 fen.
    assert floored["evaluation"]["interest"]["basis"] == "lpr_floor"
    assert floored["evaluation"]["interest"]["lpr"]["published_on"] == "2025-05-20"
    assert floored["evaluation"]["interest_fen"] == 220_000


async def test_acceptance_starts_the_term_and_a_large_enterprise_keeps_its_agreed_term(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    accepted = await filed(client, bearer, **{"contract.accepted_on": "2025-08-20"})
    shown = await terms_of(client, hotline(bearer), accepted, "2025-10-15")
    # From acceptance on 2025-08-20: due 2025-09-19, 26 days late: 60 000 000 × 0.0005 × 26.
    assert shown["facts"]["payment_basis"] == "acceptance"
    assert shown["evaluation"]["due_on"] == "2025-09-19"
    assert shown["evaluation"]["interest_fen"] == 780_000
    large = await filed(
        client,
        bearer,
        **{
            "respondent.type": "large_enterprise",
            "contract.agreed_payment_days": 90,
            "work_order_no": "L",
        },
    )
    shown = await terms_of(client, hotline(bearer), large, "2025-10-15")
    assert shown["evaluation"]["due_on"] == "2025-10-30"
    assert (shown["evaluation"]["days_overdue"], shown["evaluation"]["interest_fen"]) == (0, 0)


async def test_facts_the_rules_cannot_decide_are_said_not_guessed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    # Signed after the last LPR fixing the table knows, with an agreed rate: no floor to check.
    case_id = await filed(
        client,
        bearer,
        **{
            "contract.signed_on": "2025-09-01",
            "contract.delivered_on": "2025-09-10",
            "contract.agreed_rate": "0.0003",
        },
    )
    shown = await terms_of(client, hotline(bearer), case_id, "2025-12-01")
    assert shown["determined"] is False and shown["evaluation"] is None
    assert shown["not_determined"]["code"] == "lpr_not_known"
    assert shown["not_determined"]["zh"]


async def test_the_case_readers_see_the_terms_in_their_scope_and_no_contact(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    case_id = await filed(client, bearer)
    path = f"{API}/cases/{case_id}/payment-terms"
    for who, headers, status in (
        ("own hotline", hotline(bearer), 200),
        ("other hotline", hotline(bearer, "other"), 404),
        ("province", bearer("province_officer", region="620000"), 200),
        ("respondent's county", bearer("county_officer", region="620102"), 200),
        ("another county", bearer("county_officer", region="620103"), 404),
        ("complainant", bearer("enterprise", uscc=COMPLAINANT), 200),
        ("bank", bearer("bank", region="620000", scopes=HOTLINE_SCOPES), 403),
        ("no token", {}, 401),
    ):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == status, (who, answer.text)
        assert "13800000000" not in answer.text and "张三" not in answer.text, who
    for bad in ({"as_of": "2025-13-01"}, {"as_of": "1900-01-01"}, {"since": "2025-01-01"}):
        answer = await client.get(path, headers=hotline(bearer), params=bad)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    missing = await client.get(
        f"{API}/cases/case_0000000000000000/payment-terms", headers=hotline(bearer)
    )
    assert missing.status_code == 404 and missing.json()["code"] == "case_not_found"
