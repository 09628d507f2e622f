"""Credit products: kept by their institution or the province; the catalogue is shared, drafts
and withdrawn products are their institution's own."""

from __future__ import annotations

import httpx
import pytest
from finance_support import (
    API,
    BANK_A_USCC,
    BANK_B_USCC,
    audit_count,
    create_institution,
    create_product,
    institution_client,
    officer,
    product_body,
)

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

ENTERPRISE_USCC = make_uscc(region="620102", body="MQ000101")


async def _two_banks(client: httpx.AsyncClient, bearer: TokenFactory) -> tuple[str, str]:
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    b = await create_institution(client, officer(bearer), BANK_B_USCC, "bank-b")
    return a["id"], b["id"]


async def test_a_bank_publishes_a_product_for_itself_and_it_is_audited(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a, _ = await _two_banks(client, bearer)
    product = await create_product(client, institution_client(bearer, "bank-a"))
    assert product["institution_id"] == a and product["status"] == "draft"
    assert product["min_rate_ratio"] == "0.030000"
    assert await audit_count(client, "credit_product") >= 1


async def test_a_bank_never_reads_nor_changes_another_banks_drafts(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _two_banks(client, bearer)
    bank_a, bank_b = institution_client(bearer, "bank-a"), institution_client(bearer, "bank-b")
    draft = await create_product(client, bank_a)
    active = await create_product(client, bank_a, name="科创贷", status="active")
    url = f"{API}/products/{draft['id']}"
    assert (await client.get(url, headers=bank_a)).status_code == 200
    hidden = await client.get(url, headers=bank_b)
    assert hidden.status_code == 404 and hidden.json()["code"] == "product_not_found"
    listed = await client.get(f"{API}/products", headers=bank_b)
    assert [p["id"] for p in listed.json()["items"]] == [active["id"]]
    drafts = await client.get(f"{API}/products", params={"status": "draft"}, headers=bank_b)
    assert drafts.json()["items"] == []
    # In the catalogue is not theirs to change.
    for product in (draft, active):
        changed = await client.patch(
            f"{API}/products/{product['id']}",
            json={"name": "改名", "version": 1},
            headers=bank_b,
        )
        assert changed.status_code == 404, changed.text
    # Nor can it publish in another's name.
    posing = await client.post(
        f"{API}/products",
        json=product_body(institution_id=draft["institution_id"]),
        headers=bank_b,
    )
    assert posing.status_code == 404 and posing.json()["code"] == "institution_not_found"


async def test_the_catalogue_shows_enterprises_only_active_products_of_active_institutions(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a, b = await _two_banks(client, bearer)
    shown = await create_product(client, institution_client(bearer, "bank-a"), status="active")
    await create_product(client, institution_client(bearer, "bank-a"))
    of_suspended = await create_product(
        client, institution_client(bearer, "bank-b"), status="active"
    )
    suspended = await client.patch(
        f"{API}/institutions/{b}",
        json={"status": "suspended", "version": 1},
        headers=officer(bearer),
    )
    assert suspended.status_code == 200
    enterprise = bearer("enterprise", uscc=ENTERPRISE_USCC)
    listed = await client.get(f"{API}/products", headers=enterprise)
    assert [p["id"] for p in listed.json()["items"]] == [shown["id"]]
    hidden = await client.get(f"{API}/products/{of_suspended['id']}", headers=enterprise)
    assert hidden.status_code == 404
    everything = await client.get(f"{API}/products", headers=officer(bearer))
    assert len(everything.json()["items"]) == 3
    assert a


async def test_a_product_moves_draft_active_withdrawn_at_the_version_read(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _two_banks(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    product = await create_product(client, bank_a)
    url = f"{API}/products/{product['id']}"
    missing = await client.patch(url, json={"status": "active"}, headers=bank_a)
    assert missing.status_code == 409 and missing.json()["code"] == "version_required"
    active = await client.patch(
        url, json={"status": "active"}, headers={**bank_a, "If-Match": '"1"'}
    )
    assert active.status_code == 200 and active.headers["etag"] == '"2"'
    back = await client.patch(url, json={"status": "draft", "version": 2}, headers=bank_a)
    assert back.status_code == 422 and back.json()["code"] == "product_transition_not_allowed"
    withdrawn = await client.patch(
        url, json={"status": "withdrawn", "version": 2}, headers=officer(bearer)
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    read = await client.get(url, headers=bank_a)
    assert read.json()["version"] == 3


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"min_amount_fen": 600_000_000}, "range_inverted"),
        ({"max_rate_ratio": "0.0100"}, "range_inverted"),
        ({"max_term_months": 3}, "range_inverted"),
        ({"eligible_industry_sections": ["Z"]}, "string_pattern_mismatch"),
        ({"eligible_region_codes": ["420100"]}, "region_not_served_unit"),
        ({"min_rate_ratio": "1.5"}, "less_than_equal"),
        ({"min_rate_ratio": "0.0000001"}, "decimal_max_places"),
        ({"status": "withdrawn"}, "product_transition_not_allowed"),
        ({"product_type": "mortgage"}, "enum"),
        ({"min_amount_fen": 0}, "greater_than_equal"),
    ],
)
async def test_bad_products_are_refused_as_problems_and_nothing_is_written(
    client: httpx.AsyncClient, bearer: TokenFactory, overrides: dict[str, object], code: str
) -> None:
    await _two_banks(client, bearer)
    bank_a = institution_client(bearer, "bank-a")
    response = await client.post(f"{API}/products", json=product_body(**overrides), headers=bank_a)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert code in {problem["code"], *(e.get("code") for e in problem.get("errors", []))}, problem
    listed = await client.get(f"{API}/products", headers=bank_a)
    assert listed.json()["items"] == []


async def test_an_officer_must_name_the_institution_and_may_only_write_in_its_province(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a, _ = await _two_banks(client, bearer)
    unnamed = await client.post(f"{API}/products", json=product_body(), headers=officer(bearer))
    assert unnamed.status_code == 422 and unnamed.json()["code"] == "institution_required"
    named = await client.post(
        f"{API}/products", json=product_body(institution_id=a), headers=officer(bearer)
    )
    assert named.status_code == 201
    hubei = bearer("province_officer", region="420000")
    outside = await client.post(
        f"{API}/products", json=product_body(institution_id=a), headers=hubei
    )
    assert outside.status_code == 404
    city = officer(bearer, "620100", "city_officer")
    refused = await client.post(
        f"{API}/products", json=product_body(institution_id=a), headers=city
    )
    assert refused.status_code == 403
