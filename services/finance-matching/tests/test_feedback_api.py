"""Feedback: institutions report outcomes on enterprises and needs; idempotent by their own
reference; needs move; nobody reads another institution's reports; loan.reported.v1 announced."""

from __future__ import annotations

import json
from typing import Any

import httpx
from finance_support import (
    AGENCY_USCC,
    API,
    BANK_A_USCC,
    BANK_B_USCC,
    audit_count,
    create_institution,
    create_product,
    institution_client,
    officer,
    register_enterprise,
)

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

OWN = make_uscc(region="620102", body="FB000001")
NEIGHBOUR = make_uscc(region="620102", body="FB000002")
TIANSHUI = make_uscc(region="620502", body="FB000003")


async def setup(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, Any]:
    """Bank A (兰州, a product that fits the need), bank B (兰州, no fitting product), a
    guarantee agency serving the whole province; OWN's need matched to bank A."""
    for uscc, region, unit in (
        (OWN, "620102", "620100"),
        (NEIGHBOUR, "620102", "620100"),
        (TIANSHUI, "620502", "620500"),
    ):
        await register_enterprise(client, uscc, region_code=region, reporting_unit_code=unit)
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    b = await create_institution(client, officer(bearer), BANK_B_USCC, "bank-b")
    c = await create_institution(
        client,
        officer(bearer),
        AGENCY_USCC,
        "agency-c",
        kind="guarantee_agency",
        region_codes=["620000"],
    )
    product = await create_product(client, institution_client(bearer, "bank-a"), status="active")
    other = await create_product(
        client,
        institution_client(bearer, "bank-b"),
        status="active",
        eligible_tiers=["little_giant"],
    )
    need = await client.post(
        f"{API}/needs",
        json={
            "amount_fen": 300_000_000,
            "purpose": "购置数控加工设备",
            "term_months": 24,
            "tier": "specialised",
            "size_class": "small",
        },
        headers=bearer("enterprise", uscc=OWN),
    )
    assert need.status_code == 201 and need.json()["status"] == "matched", need.text
    return {
        "a": a["id"],
        "b": b["id"],
        "c": c["id"],
        "product": product["id"],
        "other_product": other["id"],
        "need": need.json()["id"],
    }


def granted(**overrides: Any) -> dict[str, Any]:
    return {
        "external_id": "GSB-2026-0001",
        "outcome": "granted",
        "outcome_on": "2026-11-25",
        "amount_fen": 250_000_000,
        "annual_rate_ratio": "0.0345",
        "term_months": 24,
        "first_time_borrower": True,
        **overrides,
    }


async def post(client: httpx.AsyncClient, headers: Any, body: dict[str, Any]) -> httpx.Response:
    return await client.post(f"{API}/feedback", json=body, headers=headers)


async def outbox(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from sme_common.db import UnitOfWork

    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        rows = await uow.session.execute(
            text(
                "SELECT topic, key, event_type, payload FROM outbox_message "
                "WHERE event_type = 'finance-matching.loan.reported.v1' ORDER BY id"
            )
        )
        return [dict(r._mapping) for r in rows]


async def need_of(client: httpx.AsyncClient, bearer: TokenFactory, need_id: str) -> Any:
    response = await client.get(f"{API}/needs/{need_id}", headers=officer(bearer))
    assert response.status_code == 200
    return response.json()


async def test_a_grant_on_a_need_is_recorded_once_moves_the_need_and_is_announced(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await setup(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    body = granted(need_id=ids["need"], product_id=ids["product"])
    first = await post(client, bank_a, body)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["uscc"] == OWN and report["institution_id"] == ids["a"]
    assert report["tier"] == "specialised" and report["reporting_unit_code"] == "620100"
    assert report["need_status"] == "granted"
    need = await need_of(client, bearer, ids["need"])
    assert need["status"] == "granted" and need["version"] == 2
    # The same report again (the ratio written differently is the same content): the same record.
    again = await post(client, bank_a, {**body, "annual_rate_ratio": "0.034500"})
    assert again.status_code == 200 and again.json() == report
    # Other content under the same reference: a conflict, nothing recorded.
    other = await post(client, bank_a, {**body, "amount_fen": 260_000_000})
    assert other.status_code == 409 and other.json()["code"] == "feedback_conflict"
    events = await outbox(client)
    assert [(e["topic"], e["key"]) for e in events] == [("finance-matching.loan", OWN)]
    from sme_common.contracts.events.finance_matching.models import LoanReportedV1

    data = LoanReportedV1.parse(json.loads(events[0]["payload"]))
    assert (data.report_id, data.institution_id, data.outcome) == (
        report["id"],
        ids["a"],
        "granted",
    )
    assert (data.amount_fen, data.annual_rate, data.term_months) == (250_000_000, "0.034500", 24)
    assert data.need_id == ids["need"] and data.product_id == ids["product"]
    assert data.first_time_borrower is True and data.institution_kind == "bank"
    assert str(data.outcome_on) == "2026-11-25"
    assert await audit_count(client, "loan_feedback") == 1
    # A granted need takes no more reports.
    late = await post(
        client, bank_a, {"external_id": "GSB-late", "need_id": ids["need"], "outcome": "contacted"}
    )
    assert late.status_code == 422 and late.json()["code"] == "need_closed"


async def test_contacted_then_refused_then_taken_up_again_moves_the_need_by_its_rules(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await setup(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    contacted = await post(
        client, bank_a, {"external_id": "c-1", "need_id": ids["need"], "outcome": "contacted"}
    )
    assert contacted.status_code == 201 and contacted.json()["need_status"] == "in_progress"
    refused = await post(
        client,
        bank_a,
        {
            "external_id": "r-1",
            "need_id": ids["need"],
            "outcome": "refused",
            "refusal_reason_code": "insufficient_collateral",
            "refusal_reason": "抵押物不足",
        },
    )
    assert refused.status_code == 201 and refused.json()["need_status"] == "refused"
    assert (await need_of(client, bearer, ids["need"]))["status"] == "refused"
    # Taken up again: refused → open → in_progress → granted, each step a needs rule.
    regranted = await post(client, bank_a, granted(external_id="g-1", need_id=ids["need"]))
    assert regranted.status_code == 201 and regranted.json()["need_status"] == "granted"
    need = await need_of(client, bearer, ids["need"])
    assert need["status"] == "granted" and need["version"] == 4
    assert len(await outbox(client)) == 3


async def test_bad_reports_are_problems_and_change_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await setup(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    cases = [
        (granted(need_id=ids["need"], annual_rate_ratio=None), "feedback_field_required"),
        (granted(uscc=OWN, first_time_borrower=None), "feedback_field_required"),
        (
            {"external_id": "x", "uscc": OWN, "outcome": "contacted", "amount_fen": 1},
            "feedback_field_not_allowed",
        ),
        ({"external_id": "x", "uscc": OWN, "outcome": "refused"}, "feedback_field_required"),
        (granted(uscc=OWN, product_id=ids["other_product"]), "product_unknown"),
        (granted(uscc=OWN, outcome_on="2026-11-27"), "outcome_on_in_future"),
        (granted(need_id=ids["need"], uscc=NEIGHBOUR), "uscc_mismatch"),
        ({"external_id": "x", "outcome": "contacted"}, "uscc_required"),
    ]
    for body, code in cases:
        response = await post(client, bank_a, body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == code, (body, response.text)
    assert (await need_of(client, bearer, ids["need"]))["status"] == "matched"
    assert await outbox(client) == []
    assert await audit_count(client, "loan_feedback") == 0


async def test_a_guarantee_agency_reports_its_fee_and_a_bank_without_a_rate_is_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup(client, bearer)
    agency = institution_client(bearer, "agency-c", role="guarantor")
    body = granted(uscc=TIANSHUI, annual_rate_ratio=None, guarantee_fee_ratio="0.012")
    response = await post(client, agency, body)
    assert response.status_code == 201, response.text
    assert response.json()["institution_kind"] == "guarantee_agency"
    assert response.json()["reporting_unit_code"] == "620500"
    no_fee = await post(client, agency, {**body, "external_id": "x2", "guarantee_fee_ratio": None})
    assert no_fee.json()["code"] == "feedback_field_required"


async def test_another_bank_can_neither_report_for_nor_read_what_is_not_its_own(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await setup(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    bank_b = institution_client(bearer, "bank-b")
    mine = (await post(client, bank_a, granted(need_id=ids["need"]))).json()
    # B sees not the need (neither addressed nor matched to it) nor an enterprise outside its 市州.
    on_need = await post(client, bank_b, granted(external_id="b-1", need_id=ids["need"]))
    assert on_need.status_code == 404 and on_need.json()["code"] == "need_not_found"
    outside = await post(client, bank_b, granted(external_id="b-2", uscc=TIANSHUI))
    assert outside.status_code == 404 and outside.json()["code"] == "enterprise_not_found"
    unknown = await post(
        client, bank_b, granted(external_id="b-3", uscc=make_uscc(region="620102", body="FB000099"))
    )
    assert unknown.status_code == 404
    # An enterprise in a 市州 it serves: yes, and the same external_id as A's is B's own.
    own = await post(client, bank_b, granted(uscc=NEIGHBOUR))
    assert own.status_code == 201, own.text
    theirs = own.json()
    # Reads, per endpoint: each bank its own.
    assert (await client.get(f"{API}/feedback/{mine['id']}", headers=bank_b)).status_code == 404
    assert (await client.get(f"{API}/feedback/{mine['id']}", headers=bank_a)).status_code == 200
    listed_b = await client.get(f"{API}/feedback", headers=bank_b)
    assert [f["id"] for f in listed_b.json()["items"]] == [theirs["id"]]
    filtered = await client.get(
        f"{API}/feedback", params={"institution_id": ids["a"]}, headers=bank_b
    )
    assert filtered.json()["items"] == []
    # The enterprise its own; another enterprise nothing of it; officers by region.
    enterprise = bearer("enterprise", uscc=OWN)
    assert [
        f["id"] for f in (await client.get(f"{API}/feedback", headers=enterprise)).json()["items"]
    ] == [mine["id"]]
    assert (
        await client.get(f"{API}/feedback/{theirs['id']}", headers=enterprise)
    ).status_code == 404
    province = await client.get(f"{API}/feedback", headers=officer(bearer))
    assert {f["id"] for f in province.json()["items"]} == {mine["id"], theirs["id"]}
    tianshui = officer(bearer, "620500", "city_officer")
    assert (await client.get(f"{API}/feedback", headers=tianshui)).json()["items"] == []
    assert (await client.get(f"{API}/feedback/{mine['id']}", headers=tianshui)).status_code == 404
    # Officers and enterprises do not report.
    for headers in (officer(bearer), enterprise):
        refused = await post(client, headers, granted(external_id="o-1", uscc=OWN))
        assert refused.status_code == 403
