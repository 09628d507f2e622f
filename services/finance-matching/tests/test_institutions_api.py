"""Institutions: registered by the province with their clients; each client maps to exactly one
institution and reads only that one."""

from __future__ import annotations

import httpx
import pytest
from finance_support import (
    AGENCY_USCC,
    API,
    BANK_A_USCC,
    BANK_B_USCC,
    audit_count,
    create_institution,
    institution_body,
    institution_client,
    officer,
)

from sme_common.testing.plugin import TokenFactory


async def test_the_province_registers_an_institution_with_its_clients_and_it_is_audited(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    created = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    assert created["id"].startswith("inst_")
    assert created["client_ids"] == ["bank-a"]
    assert created["region_codes"] == ["620100"] and created["status"] == "active"
    read = await client.get(f"{API}/institutions/{created['id']}", headers=officer(bearer))
    assert read.status_code == 200 and read.headers["etag"] == '"1"'
    assert await audit_count(client, "institution") >= 1
    assert await audit_count(client, "institution_client") >= 1


async def test_a_bank_token_reads_its_own_institution_and_no_other(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    b = await create_institution(client, officer(bearer), BANK_B_USCC, "bank-b")
    bank_a = institution_client(bearer, "bank-a")
    own = await client.get(f"{API}/institutions/{a['id']}", headers=bank_a)
    assert own.status_code == 200 and own.json()["uscc"] == BANK_A_USCC
    other = await client.get(f"{API}/institutions/{b['id']}", headers=bank_a)
    assert other.status_code == 404 and other.json()["code"] == "institution_not_found"
    listed = await client.get(f"{API}/institutions", headers=bank_a)
    assert [i["id"] for i in listed.json()["items"]] == [a["id"]]
    changed = await client.patch(
        f"{API}/institutions/{b['id']}", json={"name": "冒名", "version": 1}, headers=bank_a
    )
    assert changed.status_code == 404


async def test_a_client_linked_to_no_institution_or_of_the_wrong_role_sees_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    for headers in (
        institution_client(bearer, "bank-unknown"),
        institution_client(bearer, "bank-a", role="guarantor"),  # a bank is no guarantee agency
    ):
        response = await client.get(f"{API}/institutions/{a['id']}", headers=headers)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "institution_client_unknown"
    agency = await create_institution(
        client, officer(bearer), AGENCY_USCC, "agency-c", kind="guarantee_agency"
    )
    as_guarantor = await client.get(
        f"{API}/institutions/{agency['id']}",
        headers=institution_client(bearer, "agency-c", role="guarantor"),
    )
    assert as_guarantor.status_code == 200


async def test_an_institution_changes_what_it_serves_but_not_its_status(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    bank_a = institution_client(bearer, "bank-a")
    url = f"{API}/institutions/{a['id']}"
    served = await client.patch(
        url, json={"region_codes": ["620000"]}, headers={**bank_a, "If-Match": '"1"'}
    )
    assert served.status_code == 200, served.text
    assert served.json()["region_codes"] == ["620000"] and served.headers["etag"] == '"2"'
    suspended = await client.patch(url, json={"status": "suspended", "version": 2}, headers=bank_a)
    assert suspended.status_code == 403
    assert suspended.json()["code"] == "institution_field_forbidden"
    stale = await client.patch(url, json={"name": "新名称", "version": 1}, headers=bank_a)
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    by_province = await client.patch(
        url, json={"status": "suspended", "version": 2}, headers=officer(bearer)
    )
    assert by_province.status_code == 200 and by_province.json()["status"] == "suspended"


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"region_codes": ["420100"]}, 422, "region_not_served_unit"),
        ({"province_code": "620100"}, 422, "province_unknown"),
        ({"tiers": []}, 422, "too_short"),
        ({"kind": "pawnshop"}, 422, "enum"),
        ({"uscc": "91620100BK0000011X"}, 422, "uscc_invalid"),
        ({"name": "银行\u0000"}, 422, "text_nul_character"),
    ],
)
async def test_bad_institutions_are_refused_as_problems_and_nothing_is_written(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    overrides: dict[str, object],
    status: int,
    code: str,
) -> None:
    response = await client.post(
        f"{API}/institutions",
        json={**institution_body(BANK_A_USCC, "bank-a"), **overrides},
        headers=officer(bearer),
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert code in {problem["code"], *(e.get("code") for e in problem.get("errors", []))}
    listed = await client.get(f"{API}/institutions", headers=officer(bearer))
    assert listed.json()["items"] == []


async def test_an_institution_and_a_client_are_registered_once(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    again = await client.post(
        f"{API}/institutions",
        json=institution_body(BANK_A_USCC, "bank-z"),
        headers=officer(bearer),
    )
    assert again.status_code == 409 and again.json()["code"] == "institution_exists"
    stolen = await client.post(
        f"{API}/institutions",
        json=institution_body(BANK_B_USCC, "bank-a"),
        headers=officer(bearer),
    )
    assert stolen.status_code == 409 and stolen.json()["code"] == "client_already_linked"
    linked = await client.post(
        f"{API}/institutions/{a['id']}/clients",
        json={"client_id": "bank-a-2"},
        headers=officer(bearer),
    )
    assert linked.status_code == 200 and linked.json()["client_ids"] == ["bank-a", "bank-a-2"]
    unlinked = await client.delete(
        f"{API}/institutions/{a['id']}/clients/bank-a", headers=officer(bearer)
    )
    assert unlinked.status_code == 200 and unlinked.json()["client_ids"] == ["bank-a-2"]
    gone = await client.get(
        f"{API}/institutions/{a['id']}", headers=institution_client(bearer, "bank-a")
    )
    assert gone.status_code == 403


async def test_officers_see_the_institutions_serving_their_region(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    await create_institution(
        client, officer(bearer), BANK_B_USCC, "bank-b", region_codes=["620200"]
    )
    city = officer(bearer, "620100", "city_officer")
    listed = await client.get(f"{API}/institutions", headers=city)
    assert [i["id"] for i in listed.json()["items"]] == [lanzhou["id"]]
    county = officer(bearer, "620102", "county_officer")
    listed = await client.get(f"{API}/institutions", headers=county)
    assert [i["id"] for i in listed.json()["items"]] == [lanzhou["id"]]
    elsewhere = officer(bearer, "620503", "county_officer")
    read = await client.get(f"{API}/institutions/{lanzhou['id']}", headers=elsewhere)
    assert read.status_code == 404
    other_province = await client.post(
        f"{API}/institutions",
        json=institution_body(
            BANK_B_USCC, "bank-b2", province_code="420000", region_codes=["420000"]
        ),
        headers=officer(bearer),
    )
    assert other_province.status_code == 403
    assert other_province.json()["code"] == "region_forbidden"
