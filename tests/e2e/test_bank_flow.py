"""A bank meets the platform, across services on the embedded platform (real PostgreSQL, the real
broker, the services' own consumers): the province registers the bank (金融机构) and links its API
client; the bank authenticates with OAuth2 client credentials at the platform's token endpoint;
enterprises registered in registry receive 专精特新 certificates from certification; the bank pulls
its snapshot of the list (名单推送, seed 000 (十三)) and verifies the Ed25519 signature and the
SHA-256 checksum itself; a certificate is revoked and another granted, and the bank's deltas after
its cursor carry exactly those two; it acknowledges, reports a granted loan, and the enterprise's
registry profile shows it in the financing history. A second bank reaches nothing of the first's;
an enterprise reads the credit-product catalogue.

The embedded platform mounts the issuer (``/api/auth/v1/token``) over ``<auth_dir>/clients.json``,
read on every token request; a bank's client is registered there with ``save_client``, exactly as
``sme-token add-client`` does for an operator.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sme_common.auth.cli import CLIENTS_FILE
from sme_common.auth.issuer import RegisteredClient, hash_secret, save_client
from sme_common.clock import FixedClock, use_clock
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from tests.conftest import uscc_for
from tests.harness import Platform, embedded_platform, eventually

pytestmark = pytest.mark.slow

Headers = dict[str, str]
AUTH = "/api/auth/v1"
REGISTRY = "/api/registry/v1"
CERTIFICATION = "/api/certification/v1"
FINANCE = "/api/finance-matching/v1"
FINANCE_SCOPES = ("finance:read", "finance:write")


@pytest.fixture
def november_2026() -> Iterator[FixedClock]:
    with use_clock(FixedClock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def register_client(auth_dir: Path, client_id: str) -> str:
    """The bank's client at the issuer (role bank, finance scopes); its secret, known to it."""
    secret = secrets.token_urlsafe(24)
    save_client(
        auth_dir / CLIENTS_FILE,
        RegisteredClient(
            client_id=client_id,
            secret_sha256=hash_secret(secret),
            roles=("bank",),
            scopes=FINANCE_SCOPES,
        ),
    )
    return secret


async def client_credentials(client: httpx.AsyncClient, client_id: str, secret: str) -> Headers:
    """RFC 6749 §4.4 with HTTP Basic client authentication, as a bank's system does it."""
    answer = ok(
        await client.post(
            f"{AUTH}/token",
            data={"grant_type": "client_credentials", "scope": " ".join(FINANCE_SCOPES)},
            auth=(client_id, secret),
        )
    )
    assert answer["token_type"] == "Bearer" and set(answer["scope"].split()) == set(FINANCE_SCOPES)
    return {"Authorization": f"Bearer {answer['access_token']}"}


async def run_bank_flow(platform: Platform, bearer: TokenFactory, auth_dir: Path) -> None:
    province = bearer("province_officer", region="620000")
    run = secrets.token_hex(3)
    serial = secrets.randbelow(900_000) + 1
    first, second, later = (uscc_for(serial + n) for n in range(3))
    bank_uscc = uscc_for(serial + 3, region="620100")
    other_bank_uscc = uscc_for(serial + 4, region="620200")
    bank_id, other_id = f"gsbank-{run}", f"jybank-{run}"
    bank_secret = register_client(auth_dir, bank_id)
    other_secret = register_client(auth_dir, other_id)

    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        # A wrong secret gets no token.
        refused = await client.post(
            f"{AUTH}/token",
            data={"grant_type": "client_credentials"},
            auth=(bank_id, "not-the-secret"),
        )
        assert refused.status_code == 401, refused.text

        # The province registers the banks and links their clients.
        bank = ok(
            await client.post(
                f"{FINANCE}/institutions",
                json={
                    "kind": "bank",
                    "name": "甘肃测试银行兰州分行",
                    "uscc": bank_uscc,
                    "province_code": "620000",
                    "region_codes": ["620100"],
                    "tiers": ["specialised", "little_giant"],
                },
                headers=province,
            ),
            201,
        )
        assert bank["client_ids"] == []
        linked = ok(
            await client.post(
                f"{FINANCE}/institutions/{bank['id']}/clients",
                json={"client_id": bank_id},
                headers=province,
            )
        )
        assert linked["client_ids"] == [bank_id]
        other = ok(
            await client.post(
                f"{FINANCE}/institutions",
                json={
                    "kind": "bank",
                    "name": "嘉峪关测试银行",
                    "uscc": other_bank_uscc,
                    "province_code": "620000",
                    "region_codes": ["620200"],
                    "tiers": ["specialised", "little_giant"],
                    "client_ids": [other_id],
                },
                headers=province,
            ),
            201,
        )
        bank_a = await client_credentials(client, bank_id, bank_secret)
        bank_b = await client_credentials(client, other_id, other_secret)
        assert (
            ok(await client.get(f"{FINANCE}/institutions/{bank['id']}", headers=bank_a))["id"]
            == bank["id"]
        )
        assert (
            await client.get(f"{FINANCE}/institutions/{bank['id']}", headers=bank_b)
        ).status_code == 404

        # The bank publishes a product; an enterprise reads the catalogue.
        product = ok(
            await client.post(
                f"{FINANCE}/products",
                json={
                    "name": "专精特新信用贷",
                    "product_type": "credit_loan",
                    "min_amount_fen": 10_000_000,
                    "max_amount_fen": 1_000_000_000,
                    "min_rate_ratio": "0.0300",
                    "max_rate_ratio": "0.0420",
                    "min_term_months": 6,
                    "max_term_months": 36,
                    "eligible_tiers": ["specialised"],
                    "eligible_region_codes": ["620100"],
                    "status": "active",
                },
                headers=bank_a,
            ),
            201,
        )
        assert product["institution_id"] == bank["id"]
        enterprise = bearer("enterprise", uscc=first)
        catalogue = ok(await client.get(f"{FINANCE}/products", headers=enterprise))["items"]
        assert product["id"] in {p["id"] for p in catalogue}
        seen = ok(await client.get(f"{FINANCE}/products/{product['id']}", headers=enterprise))
        assert seen["name"] == "专精特新信用贷"

        # Enterprises in registry; certificates from certification.
        for uscc, name in ((first, "兰州甲精工"), (second, "兰州乙新材"), (later, "兰州丙智能")):
            ok(
                await client.post(
                    f"{REGISTRY}/enterprises",
                    json={"uscc": uscc, "name": f"{name}有限公司", "region_code": "620102"},
                    headers=province,
                ),
                201,
            )

        async def known_to_certification() -> bool:
            for uscc in (first, second, later):
                seen = await client.get(f"{CERTIFICATION}/enterprises/{uscc}", headers=province)
                if seen.status_code != 200:
                    return False
            return True

        await eventually(known_to_certification)

        async def grant(uscc: str) -> dict[str, Any]:
            certificate: dict[str, Any] = ok(
                await client.post(
                    f"{CERTIFICATION}/certificates",
                    json={
                        "uscc": uscc,
                        "tier": "specialised",
                        "level": "provincial",
                        "issued_on": "2026-06-10",
                    },
                    headers=province,
                ),
                201,
            )
            return certificate

        first_certificate = await grant(first)
        await grant(second)

        def known(*usccs: str, status: str = "valid") -> bool:
            rows = platform.query(
                "finance-matching",
                "SELECT c.uscc FROM certified_enterprise c "
                "JOIN enterprise_directory d ON d.uscc = c.uscc "
                "WHERE c.uscc = ANY(%s) AND c.status = %s",
                list(usccs),
                status,
            )
            return len(rows) == len(usccs)

        await eventually(lambda: known(first, second))

        # The snapshot, verified by the bank itself.
        snapshot = ok(await client.post(f"{FINANCE}/lists/snapshots", json={}, headers=bank_a), 201)
        manifest = snapshot["manifest"]
        assert manifest["institution_id"] == bank["id"]
        assert (manifest["entry_count"], manifest["algorithm"]) == (2, "EdDSA")
        keys = ok(await client.get(f"{FINANCE}/lists/signing-keys"))["keys"]  # public
        [key] = [k for k in keys if k["kid"] == manifest["key_id"]]
        assert (key["kty"], key["crv"]) == ("OKP", "Ed25519")
        signed = snapshot["manifest_canonical"].encode()
        Ed25519PublicKey.from_public_bytes(b64url(key["x"])).verify(
            b64url(snapshot["signature"]), signed
        )
        assert json.loads(signed) == manifest
        content = await client.get(
            f"{FINANCE}/lists/snapshots/{snapshot['id']}/content",
            params={"format": "ndjson"},
            headers=bank_a,
        )
        assert content.status_code == 200, content.text
        assert hashlib.sha256(content.content).hexdigest() == manifest["content_sha256"]
        records = [json.loads(line) for line in content.content.decode().splitlines()]
        enterprises = [r for r in records if r["record"] == "enterprise"]
        assert [r["uscc"] for r in enterprises] == sorted([first, second])
        assert {r["tier"] for r in enterprises} == {"specialised"}
        assert {r["reporting_unit_code"] for r in enterprises} == {"620100"}
        assert product["id"] in {r["id"] for r in records if r["record"] == "product"}
        ok(await client.post(f"{FINANCE}/lists/snapshots/{snapshot['id']}/ack", headers=bank_a))

        # One certificate revoked, another granted: the deltas carry exactly those two.
        ok(
            await client.post(
                f"{CERTIFICATION}/certificates/{first_certificate['id']}/revocation",
                json={
                    "reason": "false_declaration",
                    "revoked_on": "2026-11-25",
                    "note": "申报材料研发费用数据造假",
                },
                headers=province,
            )
        )
        await grant(later)
        await eventually(lambda: known(first, status="revoked") and known(later))
        page = ok(await client.get(f"{FINANCE}/lists/deltas", headers=bank_a))
        assert page["cursor"] == manifest["cursor"]
        assert sorted((c["kind"], c["uscc"]) for c in page["changes"]) == sorted(
            [("revoked", first), ("added", later)]
        )
        assert page["has_more"] is False
        ok(
            await client.post(
                f"{FINANCE}/lists/deltas/ack",
                json={"cursor": page["next_cursor"]},
                headers=bank_a,
            )
        )
        again = ok(await client.get(f"{FINANCE}/lists/deltas", headers=bank_a))
        assert again["changes"] == [] and again["cursor"] == page["next_cursor"]

        # The second bank reaches nothing of the first's.
        base = f"{FINANCE}/lists/snapshots/{snapshot['id']}"
        for method, url in (("GET", base), ("GET", f"{base}/content"), ("POST", f"{base}/ack")):
            answer = await client.request(method, url, headers=bank_b)
            assert answer.status_code in (403, 404), (method, url, answer.text)
        theirs = await client.get(
            f"{FINANCE}/lists/snapshots", params={"institution_id": bank["id"]}, headers=bank_b
        )
        assert theirs.status_code in (403, 404) or theirs.json()["items"] == [], theirs.text
        for cursor in (None, manifest["cursor"]):
            params = {} if cursor is None else {"cursor": cursor}
            b_page = ok(await client.get(f"{FINANCE}/lists/deltas", params=params, headers=bank_b))
            assert not {first, second, later} & {c["uscc"] for c in b_page["changes"]}

        # The bank reports a granted loan; registry's profile shows it.
        report = ok(
            await client.post(
                f"{FINANCE}/feedback",
                json={
                    "external_id": f"GSB-{run}",
                    "uscc": second,
                    "product_id": product["id"],
                    "outcome": "granted",
                    "outcome_on": "2026-11-25",
                    "amount_fen": 300_000_000,
                    "annual_rate_ratio": "0.0350",
                    "term_months": 24,
                    "first_time_borrower": True,
                },
                headers=bank_a,
            ),
            201,
        )
        assert report["institution_id"] == bank["id"]
        assert (
            await client.get(f"{FINANCE}/feedback/{report['id']}", headers=bank_b)
        ).status_code == 404

        async def financed() -> bool:
            profile = await client.get(f"{REGISTRY}/enterprises/{second}/profile", headers=province)
            if profile.status_code != 200:
                return False
            return any(
                entry["kind"] == "loan_reported" for entry in profile.json()["financing_history"]
            )

        await eventually(financed)
        assert other["client_ids"] == [other_id]


async def test_a_bank_pulls_verifies_follows_and_reports(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
    november_2026: FixedClock,
) -> None:
    async with embedded_platform(
        database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir
    ) as platform:
        await run_bank_flow(platform, bearer, auth_dir)
