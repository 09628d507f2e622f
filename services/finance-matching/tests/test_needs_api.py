"""Financing needs: filed for an enterprise, matched to the catalogue, seen by the institutions
addressed or matched and by no other."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
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
    size_class_decided,
)

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

OWN = make_uscc(region="620102", body="MN000001")
NEIGHBOUR = make_uscc(region="620102", body="MN000002")
TIANSHUI = make_uscc(region="620502", body="MN000003")


def need_body(**overrides: Any) -> dict[str, Any]:
    return {
        "amount_fen": 300_000_000,
        "purpose": "购置数控加工设备",
        "term_months": 24,
        "collateral": "intellectual_property",
        "tier": "specialised",
        "size_class": "small",
        **overrides,
    }


async def _setup(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, Any]:
    """Bank A with a product that fits, bank B with one that does not (little giants only);
    three enterprises in the directory."""
    for uscc, region, unit in (
        (OWN, "620102", "620100"),
        (NEIGHBOUR, "620102", "620100"),
        (TIANSHUI, "620502", "620500"),
    ):
        await register_enterprise(client, uscc, region_code=region, reporting_unit_code=unit)
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    b = await create_institution(client, officer(bearer), BANK_B_USCC, "bank-b")
    fits = await create_product(client, institution_client(bearer, "bank-a"), status="active")
    other = await create_product(
        client,
        institution_client(bearer, "bank-b"),
        status="active",
        eligible_tiers=["little_giant"],
    )
    return {"a": a["id"], "b": b["id"], "fits": fits["id"], "other": other["id"]}


async def _file(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(f"{API}/needs", json=need_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_an_enterprise_files_a_need_that_is_matched_at_once_and_audited(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await _setup(client, bearer)
    enterprise = bearer("enterprise", uscc=OWN)
    need = await _file(client, enterprise)
    assert need["uscc"] == OWN and need["status"] == "matched"
    assert need["reporting_unit_code"] == "620100" and need["industry_code"] == "C3484"
    matches = await client.get(f"{API}/needs/{need['id']}/matches", headers=enterprise)
    assert matches.status_code == 200, matches.text
    items = matches.json()["items"]
    assert [(m["product_id"], m["eligible"], m["score"]) for m in items] == [
        (ids["fits"], True, 100),
        (ids["other"], False, 80),
    ]
    tier = next(c for c in items[1]["criteria"] if c["name"] == "tier")
    assert not tier["met"] and "little_giant" in tier["reason"] and tier["reason_zh"]
    assert await audit_count(client, "financing_need") >= 1
    assert await audit_count(client, "need_match") >= 1


async def test_the_size_class_registry_decided_prevails_over_the_one_declared(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await _setup(client, bearer)
    await size_class_decided(client, OWN, "large")
    enterprise = bearer("enterprise", uscc=OWN)
    # Declared small; registry's figures make it large: the product for small and medium
    # enterprises is not offered, and the reason names the class matching read.
    need = await _file(client, enterprise, size_class="small")
    assert need["status"] == "open"
    items = (await client.get(f"{API}/needs/{need['id']}/matches", headers=enterprise)).json()
    fits = next(m for m in items["items"] if m["product_id"] == ids["fits"])
    size = next(c for c in fits["criteria"] if c["name"] == "size")
    assert not fits["eligible"] and not size["met"] and "large" in size["reason"]
    # Registry has decided nothing for the neighbour: its declaration stands.
    neighbour = await _file(client, bearer("enterprise", uscc=NEIGHBOUR), size_class="small")
    assert neighbour["status"] == "matched"


async def test_an_enterprise_sees_only_its_own_needs(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _setup(client, bearer)
    own = await _file(client, bearer("enterprise", uscc=OWN))
    theirs = await _file(client, bearer("enterprise", uscc=NEIGHBOUR))
    enterprise = bearer("enterprise", uscc=OWN)
    listed = await client.get(f"{API}/needs", headers=enterprise)
    assert [n["id"] for n in listed.json()["items"]] == [own["id"]]
    for path in (f"{API}/needs/{theirs['id']}", f"{API}/needs/{theirs['id']}/matches"):
        hidden = await client.get(path, headers=enterprise)
        assert hidden.status_code == 404 and hidden.json()["code"] == "need_not_found"
    changed = await client.patch(
        f"{API}/needs/{theirs['id']}",
        json={"status": "withdrawn", "version": 1},
        headers=enterprise,
    )
    assert changed.status_code == 404
    for_other = await client.post(
        f"{API}/needs", json=need_body(uscc=NEIGHBOUR), headers=enterprise
    )
    assert for_other.status_code == 404 and for_other.json()["code"] == "enterprise_not_found"


async def test_a_bank_sees_needs_matched_to_its_products_and_never_another_banks(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await _setup(client, bearer)
    need = await _file(client, bearer("enterprise", uscc=OWN))
    bank_a, bank_b = institution_client(bearer, "bank-a"), institution_client(bearer, "bank-b")
    seen = await client.get(f"{API}/needs/{need['id']}", headers=bank_a)
    assert seen.status_code == 200
    scores = await client.get(f"{API}/needs/{need['id']}/matches", headers=bank_a)
    assert [m["product_id"] for m in scores.json()["items"]] == [ids["fits"]]
    for path in (f"{API}/needs/{need['id']}", f"{API}/needs/{need['id']}/matches"):
        hidden = await client.get(path, headers=bank_b)
        assert hidden.status_code == 404, path
    assert (await client.get(f"{API}/needs", headers=bank_b)).json()["items"] == []
    listed = await client.get(f"{API}/needs", headers=bank_a)
    assert [n["id"] for n in listed.json()["items"]] == [need["id"]]
    # Institutions answer needs; they do not file or change them.
    refused = await client.patch(
        f"{API}/needs/{need['id']}", json={"status": "withdrawn", "version": 1}, headers=bank_a
    )
    assert refused.status_code == 403


async def test_a_need_addressed_to_chosen_institutions_is_theirs_alone(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await _setup(client, bearer)
    enterprise = bearer("enterprise", uscc=OWN)
    need = await _file(client, enterprise, addressed_institution_ids=[ids["b"]])
    # B's product does not fit (little giants only), A's would: only B sees it, nothing matched.
    assert need["status"] == "open" and need["addressed_institution_ids"] == [ids["b"]]
    bank_a, bank_b = institution_client(bearer, "bank-a"), institution_client(bearer, "bank-b")
    assert (await client.get(f"{API}/needs/{need['id']}", headers=bank_a)).status_code == 404
    by_b = await client.get(f"{API}/needs/{need['id']}", headers=bank_b)
    assert by_b.status_code == 200 and by_b.json()["addressed_institution_ids"] == [ids["b"]]
    both = await client.patch(
        f"{API}/needs/{need['id']}",
        json={"addressed_institution_ids": [ids["a"], ids["b"]], "version": 1},
        headers=enterprise,
    )
    assert both.status_code == 200 and both.json()["status"] == "matched"
    # Each sees the need and itself among the addressed, never the other bank.
    for headers, own in ((bank_a, ids["a"]), (bank_b, ids["b"])):
        read = await client.get(f"{API}/needs/{need['id']}", headers=headers)
        assert read.json()["addressed_institution_ids"] == [own]


async def test_officers_file_and_read_needs_in_their_region_only(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _setup(client, bearer)
    lanzhou = officer(bearer, "620100", "city_officer")
    filed = await _file(client, lanzhou, uscc=OWN)
    outside = await client.post(f"{API}/needs", json=need_body(uscc=TIANSHUI), headers=lanzhou)
    assert outside.status_code == 404 and outside.json()["code"] == "enterprise_not_found"
    tianshui = officer(bearer, "620500", "city_officer")
    assert (await client.get(f"{API}/needs/{filed['id']}", headers=tianshui)).status_code == 404
    assert (await client.get(f"{API}/needs", headers=tianshui)).json()["items"] == []
    unnamed = await client.post(f"{API}/needs", json=need_body(), headers=lanzhou)
    assert unnamed.status_code == 422 and unnamed.json()["code"] == "uscc_required"


async def test_a_need_is_changed_at_its_version_and_withdrawn_for_good(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _setup(client, bearer)
    enterprise = bearer("enterprise", uscc=OWN)
    need = await _file(client, enterprise)
    url = f"{API}/needs/{need['id']}"
    missing = await client.patch(url, json={"amount_fen": 1}, headers=enterprise)
    assert missing.status_code == 409 and missing.json()["code"] == "version_required"
    unmatched = await client.patch(
        url, json={"amount_fen": 900_000_000}, headers={**enterprise, "If-Match": '"1"'}
    )
    assert unmatched.status_code == 200 and unmatched.json()["status"] == "open"
    assert unmatched.headers["etag"] == '"2"'
    granted = await client.patch(url, json={"status": "granted", "version": 2}, headers=enterprise)
    assert granted.status_code == 422 and granted.json()["code"] == "need_transition_not_allowed"
    withdrawn = await client.patch(
        url, json={"status": "withdrawn", "version": 2}, headers=enterprise
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    late = await client.patch(url, json={"term_months": 12, "version": 3}, headers=enterprise)
    assert late.status_code == 422 and late.json()["code"] == "need_not_editable"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"amount_fen": 0}, "greater_than_equal"),
        ({"term_months": 0}, "greater_than_equal"),
        ({"collateral": "gold"}, "enum"),
        ({"purpose": ""}, "string_too_short"),
        ({"purpose": "设备\u200b"}, "text_format_character"),
        ({"addressed_institution_ids": ["inst_000000000000"]}, "institution_unknown"),
        ({"uscc": "91620102MN0000011X"}, "uscc_invalid"),
        ({"surprise": 1}, "extra_forbidden"),
    ],
)
async def test_bad_needs_are_refused_as_problems_and_nothing_is_written(
    client: httpx.AsyncClient, bearer: TokenFactory, overrides: dict[str, Any], code: str
) -> None:
    await _setup(client, bearer)
    headers = officer(bearer)
    body = {**need_body(uscc=OWN), **overrides}
    response = await client.post(f"{API}/needs", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert code in {problem["code"], *(e.get("code") for e in problem.get("errors", []))}, problem
    assert (await client.get(f"{API}/needs", headers=headers)).json()["items"] == []


async def test_a_guarantee_agency_client_sees_the_needs_addressed_to_its_agency(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await _setup(client, bearer)
    agency = await create_institution(
        client, officer(bearer), AGENCY_USCC, "agency-c", kind="guarantee_agency"
    )
    need = await _file(
        client, bearer("enterprise", uscc=OWN), addressed_institution_ids=[agency["id"]]
    )
    as_agency = institution_client(bearer, "agency-c", role="guarantor")
    assert (await client.get(f"{API}/needs/{need['id']}", headers=as_agency)).status_code == 200


async def _outbox(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    from sqlalchemy import text

    from sme_common.db import UnitOfWork

    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        rows = await uow.session.execute(
            text(
                "SELECT topic, key, event_type, payload FROM outbox_message "
                "WHERE event_type LIKE 'finance-matching.%' ORDER BY id"
            )
        )
        return [dict(r._mapping) for r in rows]


async def test_a_need_matched_to_new_products_is_announced_once_through_its_contract(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    ids = await _setup(client, bearer)
    enterprise = bearer("enterprise", uscc=OWN)
    need = await _file(client, enterprise)
    events = await _outbox(client)
    assert [(e["topic"], e["key"], e["event_type"]) for e in events] == [
        ("finance-matching.need", OWN, "finance-matching.need.matched.v1")
    ]
    from sme_common.contracts.events.finance_matching.models import NeedMatchedV1

    data = NeedMatchedV1.parse(json.loads(events[0]["payload"]))
    assert data.need_id == need["id"]
    assert [(m.product_id, m.score) for m in data.matches] == [(ids["fits"], 100)]
    # The same products again: nothing new to announce; none at all: nothing either.
    same = await client.patch(
        f"{API}/needs/{need['id']}", json={"purpose": "扩大产能", "version": 1}, headers=enterprise
    )
    assert same.status_code == 200
    none = await client.patch(
        f"{API}/needs/{need['id']}", json={"term_months": 60, "version": 2}, headers=enterprise
    )
    assert none.json()["status"] == "open"
    assert len(await _outbox(client)) == 1
