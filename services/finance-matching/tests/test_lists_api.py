"""List push (名单推送) as a bank meets it: a snapshot of the certified enterprises in its scope
with the product catalogue, verified with the published key; deltas after its cursor (a
revocation reaches every bank that received the enterprise); every read logged; nothing of
another bank's."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest
from certified_support import expire, grant, revoke
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from finance_support import (
    API,
    BANK_A_USCC,
    BANK_B_USCC,
    create_institution,
    create_product,
    institution_client,
    officer,
    register_enterprise,
    registry_announces,
    size_class_decided,
)
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from sme_common.clock import FixedClock
from sme_common.db import UnitOfWork
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_finance_matching.lists import service as lists
from sme_finance_matching.lists.domain import PRODUCT_FIELDS, Schedule
from sme_finance_matching.lists.router import DELTA_PULLS_SHORTCUT
from sme_finance_matching.lists.schemas import DeltaChange, DeltaPage
from sme_finance_matching.lists.signing import signer_for

IN_SCOPE = make_uscc(region="620102", body="LP000001")
OTHER_TIER = make_uscc(region="620102", body="LP000002")
OTHER_UNIT = make_uscc(region="620202", body="LP000003")
LATER = make_uscc(region="620102", body="LP000004")
BANK_C_USCC = make_uscc(region="620200", body="BK00000C")


def b64url_decode(text_: str) -> bytes:
    return base64.urlsafe_b64decode(text_ + "=" * (-len(text_) % 4))


async def setup_population(client: httpx.AsyncClient) -> None:
    await register_enterprise(client, IN_SCOPE)
    await register_enterprise(client, OTHER_TIER)
    await register_enterprise(
        client, OTHER_UNIT, region_code="620202", reporting_unit_code="620200"
    )
    await register_enterprise(client, LATER)
    await grant(client, IN_SCOPE, "cert_in")
    await grant(client, OTHER_TIER, "cert_tier", tier="innovative")
    await grant(client, OTHER_UNIT, "cert_unit")


async def bank(
    client: httpx.AsyncClient, bearer: TokenFactory, uscc: str, client_id: str, **kw: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    institution = await create_institution(client, officer(bearer), uscc, client_id, **kw)
    return institution, institution_client(bearer, client_id)


async def snapshot(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    made = await client.post(f"{API}/lists/snapshots", json=body, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


async def content(
    client: httpx.AsyncClient, snap: dict[str, Any], headers: dict[str, str], fmt: str
) -> bytes:
    got = await client.get(
        f"{API}/lists/snapshots/{snap['id']}/content", params={"format": fmt}, headers=headers
    )
    assert got.status_code == 200, got.text
    return got.content


async def test_a_bank_verifies_its_snapshot_with_the_published_key_and_checksum(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    product = await create_product(client, bank_a, status="active")
    snap = await snapshot(client, bank_a)
    manifest = snap["manifest"]
    assert (manifest["entry_count"], manifest["product_count"]) == (1, 1)
    assert manifest["institution_id"] == a["id"]

    ndjson = await content(client, snap, bank_a, "ndjson")
    assert hashlib.sha256(ndjson).hexdigest() == manifest["content_sha256"]
    lines = [json.loads(line) for line in ndjson.decode().splitlines()]
    assert [(r["record"], r.get("uscc") or r.get("id")) for r in lines] == [
        ("enterprise", IN_SCOPE),
        ("product", product["id"]),
    ]
    assert lines[0]["tier"] == "specialised" and lines[0]["reporting_unit_code"] == "620100"
    assert lines[0]["size_class"] is None and lines[0]["contact"] is None  # nothing announced

    keys = (await client.get(f"{API}/lists/signing-keys")).json()["keys"]  # no token: public
    key = next(k for k in keys if k["kid"] == manifest["key_id"])
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(key["x"]))
    signed = snap["manifest_canonical"].encode()
    assert json.loads(signed) == manifest
    public.verify(b64url_decode(snap["signature"]), signed)
    tampered = signed.replace(manifest["content_sha256"].encode(), b"0" * 64)
    with pytest.raises(InvalidSignature):
        public.verify(b64url_decode(snap["signature"]), tampered)


async def test_entries_carry_the_size_class_the_contact_and_the_flags_registry_announced(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    await grant(client, LATER, "cert_later", tier="little_giant")
    await size_class_decided(client, IN_SCOPE, "medium")
    await registry_announces(
        client,
        IN_SCOPE,
        "service-people-changed",
        {
            "change": "assigned",
            "assignment_id": "assign_2",
            "people": [
                {
                    "person_id": "person_1",
                    "name": "周专员",
                    "role": "service_commissioner",
                    "organisation": "城关区工信局",
                    "phone": "0931-8000001",
                    "assigned_on": "2026-04-01",
                },
                {
                    "person_id": "person_2",
                    "name": "王顾问",
                    "role": "financial_adviser",
                    "organisation": "甘肃银行",
                    "phone": None,
                    "assigned_on": "2026-04-20",
                },
            ],
            "changed_at": "2026-05-01T02:00:00+00:00",
        },
    )
    for flag_id, kind, ended_on in (
        ("flag_1", "abnormal_operations", None),
        ("flag_2", "data_falsification", "2026-06-01"),  # over before the snapshot's day
    ):
        await registry_announces(
            client,
            IN_SCOPE,
            "flags-changed",
            {
                "flag_id": flag_id,
                "kind": kind,
                "change": "raised",
                "started_on": "2026-03-01",
                "ended_on": ended_on,
                "active_flags": [kind],
            },
        )
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    snap = await snapshot(client, bank_a)
    ndjson = await content(client, snap, bank_a, "ndjson")
    assert hashlib.sha256(ndjson).hexdigest() == snap["manifest"]["content_sha256"]
    known, unknown = (json.loads(line) for line in ndjson.decode().splitlines())
    assert (known["uscc"], unknown["uscc"]) == (IN_SCOPE, LATER)
    assert known["size_class"] == "medium"
    assert (
        known["contact"]
        == "王顾问（金融顾问，甘肃银行）；周专员（服务专员，城关区工信局）0931-8000001"
    )
    assert known["credit_flags"] == "abnormal_operations"
    assert (unknown["size_class"], unknown["contact"], unknown["credit_flags"]) == (None,) * 3
    rows = list(csv.DictReader(io.StringIO((await content(client, snap, bank_a, "csv")).decode())))
    assert (rows[0]["size_class"], rows[0]["credit_flags"]) == ("medium", "abnormal_operations")


async def test_the_snapshot_reads_the_same_in_json_csv_and_xlsx(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    await grant(client, LATER, "cert_later", tier="little_giant")
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    await create_product(client, bank_a, status="active")
    snap = await snapshot(client, bank_a)
    expected = [IN_SCOPE, LATER]

    body = json.loads(await content(client, snap, bank_a, "json"))
    assert body["manifest"] == snap["manifest"] and body["signature"] == snap["signature"]
    assert [e["uscc"] for e in body["enterprises"]] == expected
    assert len(body["products"]) == 1

    rows = list(csv.DictReader(io.StringIO((await content(client, snap, bank_a, "csv")).decode())))
    assert [r["uscc"] for r in rows] == expected
    assert rows[1]["tier"] == "little_giant" and rows[1]["expires_on"] == "2029-01-09"

    workbook = openpyxl.load_workbook(io.BytesIO(await content(client, snap, bank_a, "xlsx")))
    sheet = list(workbook["enterprises"].iter_rows(values_only=True))
    assert sheet[0][0] == "uscc" and [r[0] for r in sheet[1:]] == expected
    assert len(list(workbook["products"].iter_rows(values_only=True))) == 2
    assert workbook["manifest"]["B2"].value == snap["signature"]


async def test_the_xlsx_holds_every_cell_of_the_csv_its_catalogue_and_manifest(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    await grant(client, LATER, "cert_later", tier="little_giant")
    hostile = '兰州<甲>&"乙"\x01\x1f公司 _x0041_ '  # what a spreadsheet must show as text
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await uow.session.execute(
            text("UPDATE enterprise_directory SET name = :n WHERE uscc = :u"),
            {"n": hostile, "u": IN_SCOPE},
        )
        await uow.commit()
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    product = await create_product(client, bank_a, status="active", name="专精特新贷 <A&B>")
    snap = await snapshot(client, bank_a)

    workbook = openpyxl.load_workbook(io.BytesIO(await content(client, snap, bank_a, "xlsx")))
    assert workbook.sheetnames == ["enterprises", "products", "manifest"]
    csv_rows = list(csv.reader(io.StringIO((await content(client, snap, bank_a, "csv")).decode())))
    xlsx_rows = list(workbook["enterprises"].iter_rows(values_only=True))
    # The same rows and columns; an empty CSV field is an empty cell; the dates are ISO text;
    # the control characters XML refuses are gone; openpyxl shows Excel's _x005F_ escape as is.
    assert csv_rows[1][1] == hostile
    assert xlsx_rows[1][1] == '兰州<甲>&"乙"公司 _x005F_x0041_ '
    xlsx_rows[1] = (xlsx_rows[1][0], hostile, *xlsx_rows[1][2:])
    assert [tuple(r) for r in csv_rows] == [
        tuple("" if v is None else v for v in row) for row in xlsx_rows
    ]
    assert xlsx_rows[2][5:7] == ("2026-01-10", "2029-01-09")

    catalogue = list(workbook["products"].iter_rows(values_only=True))
    assert catalogue[0] == PRODUCT_FIELDS
    expected = tuple(
        ",".join(v) if isinstance(v, list) else v for v in (product[f] for f in PRODUCT_FIELDS)
    )
    # Amounts and terms are numbers; ratios keep the text of the catalogue (exact decimals).
    assert catalogue[1] == tuple(
        str(Decimal(v).normalize()) if f.endswith("_ratio") and v is not None else v
        for f, v in zip(PRODUCT_FIELDS, expected, strict=True)
    )
    assert [c.value for c in workbook["manifest"][2]] == [
        snap["manifest_canonical"],
        snap["signature"],
    ]


async def test_every_read_is_logged_with_its_client_format_and_rows(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    snap = await snapshot(client, bank_a)
    await content(client, snap, bank_a, "csv")
    await content(client, snap, officer(bearer), "ndjson")
    assert (await client.get(f"{API}/lists/deltas", headers=bank_a)).status_code == 200
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        rows = (
            await uow.session.execute(
                text(
                    "SELECT institution_id, kind, snapshot_id, format, rows, client_id"
                    " FROM list_read ORDER BY id"
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (a["id"], "snapshot", snap["id"], "csv", 1, "bank-a"),
        (a["id"], "snapshot", snap["id"], "ndjson", 1, None),
        (a["id"], "delta", None, "json", 1, "bank-a"),  # nothing acknowledged: from the start
    ]


async def test_deltas_after_the_acknowledged_snapshot_carry_a_grant_and_a_revocation(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    snap = await snapshot(client, bank_a)
    acked = await client.post(f"{API}/lists/snapshots/{snap['id']}/ack", headers=bank_a)
    assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    await grant(client, LATER, "cert_later")
    await revoke(client, IN_SCOPE, "cert_in")
    await grant(client, OTHER_UNIT, "cert_unit_2", tier="little_giant", issued_on="2026-05-01")

    page = (await client.get(f"{API}/lists/deltas", headers=bank_a)).json()
    assert page["cursor"] == snap["manifest"]["cursor"]
    assert [(c["kind"], c["uscc"]) for c in page["changes"]] == [
        ("added", LATER),
        ("revoked", IN_SCOPE),
    ]
    ack = await client.post(
        f"{API}/lists/deltas/ack", json={"cursor": page["next_cursor"]}, headers=bank_a
    )
    assert ack.status_code == 200, ack.text
    again = (await client.get(f"{API}/lists/deltas", headers=bank_a)).json()
    assert again["changes"] == [] and again["cursor"] == page["next_cursor"]
    # An explicit cursor reads from there, whatever is stored.
    replay = await client.get(
        f"{API}/lists/deltas",
        params={"cursor": snap["manifest"]["cursor"], "limit": 1},
        headers=bank_a,
    )
    assert [c["uscc"] for c in replay.json()["changes"]] == [LATER] and replay.json()["has_more"]


async def test_a_revocation_reaches_every_bank_that_received_the_enterprise_even_out_of_scope(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    b, bank_b = await bank(client, bearer, BANK_B_USCC, "bank-b")
    _, bank_c = await bank(
        client, bearer, BANK_C_USCC, "bank-c", region_codes=["620200"], tiers=["little_giant"]
    )
    for headers in (bank_a, bank_b, bank_c):
        await client.post(
            f"{API}/lists/snapshots/{(await snapshot(client, headers))['id']}/ack", headers=headers
        )
    # Bank B stops serving the tier: the enterprise is out of its scope now.
    narrowed = await client.patch(
        f"{API}/institutions/{b['id']}",
        json={"tiers": ["little_giant"], "version": b["version"]},
        headers=officer(bearer),
    )
    assert narrowed.status_code == 200, narrowed.text
    await revoke(client, IN_SCOPE, "cert_in")
    await expire(client, OTHER_UNIT, "cert_unit")

    seen = {}
    for name, headers in (("a", bank_a), ("b", bank_b), ("c", bank_c)):
        page = (await client.get(f"{API}/lists/deltas", headers=headers)).json()
        seen[name] = [(c["kind"], c["uscc"], c["in_scope"]) for c in page["changes"]]
    assert seen["a"] == [("revoked", IN_SCOPE, True)]
    assert seen["b"] == [("revoked", IN_SCOPE, False)]
    assert seen["c"] == []  # it never received either (tier little_giant only)


async def pulled(client: httpx.AsyncClient, headers: dict[str, str]) -> list[tuple[Any, ...]]:
    page = await client.get(f"{API}/lists/deltas", headers=headers)
    assert page.status_code == 200, page.text
    return [(c["kind"], c["uscc"], c["in_scope"]) for c in page.json()["changes"]]


async def test_a_wider_scope_brings_the_pending_changes_of_its_new_region_and_tier(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    assert await pulled(client, bank_a) == [("added", IN_SCOPE, True)]
    widened = await client.patch(
        f"{API}/institutions/{a['id']}",
        json={
            "region_codes": ["620100", "620200"],
            "tiers": ["innovative", "specialised"],
            "version": a["version"],
        },
        headers=officer(bearer),
    )
    assert widened.status_code == 200, widened.text
    # Nothing acknowledged: the same cursor, now with what the wider scope concerns.
    assert await pulled(client, bank_a) == [
        ("added", IN_SCOPE, True),
        ("added", OTHER_TIER, True),
        ("added", OTHER_UNIT, True),
    ]
    narrowed = await client.patch(
        f"{API}/institutions/{a['id']}",
        json={"region_codes": ["620200"], "version": widened.json()["version"]},
        headers=officer(bearer),
    )
    assert narrowed.status_code == 200, narrowed.text
    # What was queued stays queued (the bank was given those enterprises), told out of scope.
    assert await pulled(client, bank_a) == [
        ("added", IN_SCOPE, False),
        ("added", OTHER_TIER, False),
        ("added", OTHER_UNIT, True),
    ]


async def test_a_change_reaches_the_banks_in_scope_once_the_directory_places_the_enterprise(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    """Certification's and registry's topics are not ordered between them: a certificate may
    arrive before the enterprise is in the directory, and an enterprise may move to another
    市州 after its change was recorded."""
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    unknown = make_uscc(region="620102", body="LP000009")
    await grant(client, unknown, "cert_unknown")
    assert await pulled(client, bank_a) == [("added", IN_SCOPE, True)]

    await register_enterprise(client, unknown)
    # OTHER_UNIT (兰州 bank's scope excludes 嘉峪关 620200) moves to 兰州.
    await registry_announces(
        client,
        OTHER_UNIT,
        "registered",
        {
            "name": "融资测试企业迁入",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "operating_status": "operating",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": 2,
        },
    )
    changes = (await client.get(f"{API}/lists/deltas", headers=bank_a)).json()["changes"]
    assert [(c["kind"], c["uscc"], c["in_scope"]) for c in changes] == [
        ("added", IN_SCOPE, True),
        ("added", OTHER_UNIT, True),
        ("added", unknown, True),
    ]
    assert changes[1]["name"] == "融资测试企业迁入"
    assert changes[1]["reporting_unit_code"] == "620100"
    assert changes[2]["name"] == f"融资测试企业{unknown[-3:]}"

    # IN_SCOPE moves out of 兰州: its queued change stays, told out of scope, with its new place.
    await registry_announces(
        client,
        IN_SCOPE,
        "registered",
        {
            "name": "融资测试企业迁出",
            "region_code": "620202",
            "reporting_unit_code": "620200",
            "operating_status": "operating",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": 2,
        },
    )
    moved = (await client.get(f"{API}/lists/deltas", headers=bank_a)).json()["changes"][0]
    assert (moved["uscc"], moved["in_scope"], moved["reporting_unit_code"], moved["name"]) == (
        IN_SCOPE,
        False,
        "620200",
        "融资测试企业迁出",
    )


async def test_a_delta_page_is_the_documented_shape_with_times_as_the_api_writes_them(
    client: httpx.AsyncClient, bearer: TokenFactory, business_clock: FixedClock
) -> None:
    await register_enterprise(client, IN_SCOPE)
    await register_enterprise(client, LATER, industry_code=None)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    await grant(client, IN_SCOPE, "cert_in")
    business_clock.advance(timedelta(microseconds=1500))
    await grant(client, LATER, "cert_later", tier="little_giant")

    got = await client.get(f"{API}/lists/deltas", headers=bank_a)
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    page = DeltaPage.model_validate_json(got.content)
    assert page.model_dump(mode="json", exclude_none=False) == got.json()
    first, second = got.json()["changes"]
    assert first["changed_at"] == "2026-11-26T02:00:00Z"
    assert second["changed_at"] == "2026-11-26T02:00:00.001500Z"
    assert second == {
        "position": second["position"],
        "kind": "added",
        "uscc": LATER,
        "name": f"融资测试企业{LATER[-3:]}",
        "certificate_id": "cert_later",
        "tier": "little_giant",
        "previous_tier": None,
        "level": "provincial",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-09",
        "status": "valid",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": None,
        "changed_at": "2026-11-26T02:00:00.001500Z",
        "in_scope": True,
    }
    assert list(second) == list(DeltaChange.model_fields)  # the documented order too
    assert got.json()["next_cursor"] == lists.DELTA_CURSOR.encode(second["position"])
    assert got.json()["has_more"] is False


async def test_the_pulls_shortcut_answers_as_the_declared_route(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    """``DELTA_PULLS_SHORTCUT`` stands in front of the documented operation, and a pull it answers
    reads as the same pull answered by FastAPI's route (a name twice goes on to the route)."""
    document = (await client.get("/api/finance-matching/openapi.json")).json()
    assert DELTA_PULLS_SHORTCUT.kwargs["path"] in {
        path for path, operations in document["paths"].items() if "get" in operations
    }
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    await grant(client, LATER, "cert_later")
    await revoke(client, IN_SCOPE, "cert_in")

    cursor = f"cursor={lists.DELTA_CURSOR.encode(0)}"
    for query, the_same_twice in [
        ("", "limit=500&limit=500"),
        ("limit=1", "limit=1&limit=1"),
        (f"{cursor}&limit=2", f"{cursor}&{cursor}&limit=2"),
    ]:
        shortcut = await client.get(f"{API}/lists/deltas?{query}", headers=bank_a)
        route = await client.get(f"{API}/lists/deltas?{the_same_twice}", headers=bank_a)
        assert shortcut.status_code == route.status_code == 200, route.text
        assert shortcut.content == route.content
        assert shortcut.headers["content-type"] == route.headers["content-type"]
        assert shortcut.json()["changes"]


async def test_a_bank_reaches_none_of_another_banks_snapshots_or_deltas(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    _, bank_b = await bank(client, bearer, BANK_B_USCC, "bank-b")
    snap = await snapshot(client, bank_a)
    base = f"{API}/lists/snapshots/{snap['id']}"
    for method, url in (("GET", base), ("GET", f"{base}/content"), ("POST", f"{base}/ack")):
        response = await client.request(method, url, headers=bank_b)
        assert response.status_code == 404, (method, url, response.text)
        assert response.json()["code"] == "snapshot_not_found"
    made = await client.post(
        f"{API}/lists/snapshots", json={"institution_id": a["id"]}, headers=bank_b
    )
    assert made.status_code == 404
    assert (await client.get(f"{API}/lists/snapshots", headers=bank_b)).json()["items"] == []
    # Bank B's deltas never carry what only bank A received.
    await grant(client, LATER, "cert_later", tier="specialised")
    await client.patch(
        f"{API}/institutions/{a['id']}",
        json={"name": "甲银行", "version": a["version"]},
        headers=bank_a,
    )
    b_changes = (await client.get(f"{API}/lists/deltas", headers=bank_b)).json()["changes"]
    assert {c["uscc"] for c in b_changes} <= {IN_SCOPE, LATER}
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        reads = (
            await uow.session.execute(
                text("SELECT count(*) FROM list_read WHERE snapshot_id = :s"), {"s": snap["id"]}
            )
        ).scalar_one()
    assert reads == 0  # refused reads read nothing and log nothing


async def test_an_officer_of_another_region_sees_no_snapshot_and_enterprises_none(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, _ = await bank(client, bearer, BANK_A_USCC, "bank-a")
    city = officer(bearer, region="620100", role="city_officer")
    snap = await snapshot(client, city, institution_id=a["id"])
    assert snap["trigger"] == "on_demand"
    other = officer(bearer, region="620200", role="city_officer")
    assert (
        await client.get(f"{API}/lists/snapshots/{snap['id']}", headers=other)
    ).status_code == 404
    refused = await client.post(
        f"{API}/lists/snapshots", json={"institution_id": a["id"]}, headers=other
    )
    assert refused.status_code == 404
    assert (await client.post(f"{API}/lists/snapshots", json={}, headers=city)).json()[
        "code"
    ] == "institution_id_required"
    for url in (f"{API}/lists/deltas", f"{API}/lists/snapshots"):
        got = await client.get(url, headers=bearer("enterprise", uscc=IN_SCOPE))
        assert got.status_code == 403


async def test_a_client_unlinked_is_refused_on_its_next_pull_and_its_refusal_is_not_logged(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    first = await client.get(f"{API}/lists/deltas", headers=bank_a)
    assert first.status_code == 200 and [c["uscc"] for c in first.json()["changes"]] == [IN_SCOPE]
    unlinked = await client.delete(
        f"{API}/institutions/{a['id']}/clients/bank-a", headers=officer(bearer)
    )
    assert unlinked.status_code == 200
    refused = await client.get(f"{API}/lists/deltas", headers=bank_a)
    assert refused.status_code == 403 and refused.json()["code"] == "institution_client_unknown"
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        logged = (
            await uow.session.execute(
                text("SELECT kind, rows, cursor_from, client_id FROM list_read ORDER BY id")
            )
        ).all()
        received = (
            await uow.session.execute(
                text("SELECT institution_id, uscc FROM list_recipient ORDER BY uscc")
            )
        ).all()
    # The pull that answered is on the log, with the enterprise it sent in scope as received.
    assert [tuple(r) for r in logged] == [("delta", 1, 0, "bank-a")]
    assert [tuple(r) for r in received] == [(a["id"], IN_SCOPE)]


async def test_a_cursor_beyond_the_last_change_or_forged_is_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    from sme_common.pagination import PositionCursor

    ahead = await client.post(
        f"{API}/lists/deltas/ack", json={"cursor": PositionCursor().encode(10_000)}, headers=bank_a
    )
    assert ahead.status_code == 422 and ahead.json()["code"] == "cursor_ahead"
    forged = await client.get(
        f"{API}/lists/deltas", params={"cursor": "not-a-cursor"}, headers=bank_a
    )
    assert forged.status_code == 422
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        assert (
            await uow.session.execute(text("SELECT count(*) FROM list_cursor"))
        ).scalar_one() == 0


async def test_the_schedule_makes_one_snapshot_per_institution_and_period(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    a, _ = await bank(client, bearer, BANK_A_USCC, "bank-a")
    b, _ = await bank(client, bearer, BANK_B_USCC, "bank-b")
    database = client.app.state.database  # type: ignore[attr-defined]
    first = await lists.publish_due(database, schedule=Schedule.MONTHLY, signer=signer_for(None))
    second = await lists.publish_due(database, schedule=Schedule.MONTHLY, signer=signer_for(None))
    assert first.period == "2026-11" and len(first.published) == 2
    assert second.published == [] and second.skipped == 2
    async with UnitOfWork(database) as uow:
        rows = (
            await uow.session.execute(
                text(
                    "SELECT institution_id, trigger, period FROM list_snapshot ORDER BY institution_id"
                )
            )
        ).all()
        outbox = (
            await uow.session.execute(
                text(
                    "SELECT count(*) FROM outbox_message WHERE topic = 'finance-matching.snapshot'"
                )
            )
        ).scalar_one()
    assert sorted(tuple(r) for r in rows) == sorted(
        [(a["id"], "scheduled", "2026-11"), (b["id"], "scheduled", "2026-11")]
    )
    assert outbox == 2


async def test_snapshots_and_their_entries_cannot_be_changed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    await setup_population(client)
    _, bank_a = await bank(client, bearer, BANK_A_USCC, "bank-a")
    snap = await snapshot(client, bank_a)
    for statement in (
        "UPDATE snapshot_entry SET tier = 'little_giant' WHERE snapshot_id = :s",
        "DELETE FROM list_snapshot WHERE id = :s",
    ):
        async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
            with pytest.raises(DBAPIError, match="immutable"):
                await uow.session.execute(text(statement), {"s": snap["id"]})
