"""A bank can never read another bank's institution, product drafts or needs: every operation of
the service, enumerated from its own OpenAPI document (a new endpoint is covered the day it is
added), called by bank B about bank A's things."""

from __future__ import annotations

from typing import Any

import httpx
from certified_support import grant
from finance_support import (
    API,
    BANK_A_USCC,
    BANK_B_USCC,
    create_institution,
    create_product,
    institution_client,
    officer,
    register_enterprise,
)

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_finance_matching.lists.domain import Schedule
from sme_finance_matching.pushes import service as pushes

ENTERPRISE = make_uscc(region="620102", body="MQ000201")
SHARED = ("/enterprises", "/event-schemas", "/audit-records")
"""The directory and event schemas (every caller's) and the audit (officers'): not bank A's."""

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/institutions/{institution_id}"): {"name": "冒名银行", "version": 1},
    ("POST", "/institutions/{institution_id}/clients"): {"client_id": "bank-b-2"},
    ("PATCH", "/products/{product_id}"): {"status": "active", "version": 1},
    ("PATCH", "/needs/{need_id}"): {"status": "withdrawn", "version": 1},
    ("POST", "/feedback"): {"external_id": "a-1", "need_id": "", "outcome": "refused"},
}
_A = "{institution_id of bank A}"
"""Replaced by bank A's id in a body."""
BODIES[("POST", "/lists/snapshots")] = {"institution_id": _A}


async def test_bank_b_reaches_nothing_of_bank_a_through_any_operation(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await register_enterprise(client, ENTERPRISE)
    a = await create_institution(client, officer(bearer), BANK_A_USCC, "bank-a")
    await create_institution(client, officer(bearer), BANK_B_USCC, "bank-b")
    bank_a, bank_b = institution_client(bearer, "bank-a"), institution_client(bearer, "bank-b")
    draft = await create_product(client, bank_a, eligible_tiers=[])
    filed = await client.post(
        f"{API}/needs",
        json={
            "amount_fen": 100_000_000,
            "purpose": "流动资金",
            "term_months": 12,
            "addressed_institution_ids": [a["id"]],
        },
        headers=bearer("enterprise", uscc=ENTERPRISE),
    )
    assert filed.status_code == 201, filed.text
    need = filed.json()
    assert (await client.get(f"{API}/needs/{need['id']}", headers=bank_a)).status_code == 200
    report = await client.post(
        f"{API}/feedback",
        json={"external_id": "a-1", "need_id": need["id"], "outcome": "contacted"},
        headers=bank_a,
    )
    assert report.status_code == 201, report.text
    made = await client.post(f"{API}/lists/snapshots", json={}, headers=bank_a)
    assert made.status_code == 201, made.text
    snapshot = made.json()
    # The enterprise's own push (not any bank's): refused to bank B like the rest.
    await grant(client, ENTERPRISE, "cert_isolation")
    database = client.app.state.database  # type: ignore[attr-defined]
    await pushes.publish_due(database, schedule=Schedule.MONTHLY)
    pushed = await client.get(f"{API}/enterprise-pushes", headers=officer(bearer))
    (push_id,) = [p["id"] for p in pushed.json()["items"]]
    secrets = {a["id"], draft["id"], need["id"], BANK_A_USCC, report.json()["id"], snapshot["id"]}
    secrets.add(push_id)
    values = {
        "{institution_id}": a["id"],
        "{product_id}": draft["id"],
        "{need_id}": need["id"],
        "{client_id}": "bank-a",
        "{feedback_id}": report.json()["id"],
        "{snapshot_id}": snapshot["id"],
        "{push_id}": push_id,
    }
    document = client.app.openapi()  # type: ignore[attr-defined]
    checked = 0
    for template, operations in sorted(document["paths"].items()):
        relative = template.removeprefix(API)
        if not template.startswith(API) or relative.startswith(SHARED):
            continue
        path = template
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
        assert "{" not in path, template
        for method in operations:
            body = BODIES.get((method.upper(), relative), {})
            body = {k: a["id"] if v == _A else v for k, v in body.items()}
            if (method.upper(), relative) == ("POST", "/feedback"):
                body = {**body, "need_id": need["id"], "refusal_reason_code": "other"}
                body["refusal_reason"] = "冒名反馈"
            if (method.upper(), relative) == ("POST", "/products"):
                body = {**draft, "institution_id": a["id"]}
                body = {k: v for k, v in body.items() if k in _PRODUCT_FIELDS}
            response = await client.request(method.upper(), path, headers=bank_b, json=body)
            label = f"{method.upper()} {template}"
            if response.status_code < 300:
                assert not any(s in response.text for s in secrets), (label, response.text)
            else:
                assert response.status_code in (403, 404, 422), (label, response.text)
            checked += 1
    assert checked >= 18
    # And nothing of A's changed in the attempts.
    assert (await client.get(f"{API}/products/{draft['id']}", headers=bank_a)).json()[
        "version"
    ] == 1
    # (version 2: A's own report moved it to in_progress; B's attempt moved nothing.)
    after = (await client.get(f"{API}/needs/{need['id']}", headers=bank_a)).json()
    assert (after["version"], after["status"]) == (2, "in_progress")
    own = await client.get(f"{API}/institutions/{a['id']}", headers=bank_a)
    assert own.json()["version"] == 1 and own.json()["client_ids"] == ["bank-a"]


_PRODUCT_FIELDS = {
    "institution_id",
    "name",
    "product_type",
    "min_amount_fen",
    "max_amount_fen",
    "min_rate_ratio",
    "max_rate_ratio",
    "min_term_months",
    "max_term_months",
}
