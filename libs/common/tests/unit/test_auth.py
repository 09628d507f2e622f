"""Tokens, principals and region scope."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from sme_common.auth.issuer import RegisteredClient, create_issuer_app, hash_secret, save_client
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key
from sme_common.auth.principal import Principal, RegionLevel, region_scope_for
from sme_common.auth.tokens import mint_token_from_file
from sme_common.auth.verify import JwtVerifier
from sme_common.errors import Unauthorized
from sme_common.settings import AuthSettings


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    ensure_signing_key(tmp_path)
    return tmp_path


def verifier(keys: Path) -> JwtVerifier:
    return JwtVerifier(AuthSettings(jwks_file=keys / "jwks.json"))


async def test_a_minted_token_verifies_to_its_principal(keys: Path) -> None:
    token = mint_token_from_file(
        keys / SIGNING_KEY_FILE,
        subject="bank-1",
        roles=["bank"],
        region="620000",
        scopes=["finance:pull"],
        organisation="B001",
    )
    principal = await verifier(keys).verify(token)
    assert principal == Principal(
        subject="bank-1",
        roles=frozenset({"bank"}),
        region="620000",
        scopes=frozenset({"finance:pull"}),
        organisation="B001",
    )
    assert principal.is_machine


@pytest.mark.parametrize("tamper", ["expired", "audience", "other_key", "garbage"])
async def test_bad_tokens_are_refused(keys: Path, tmp_path: Path, tamper: str) -> None:
    key = keys / SIGNING_KEY_FILE
    if tamper == "expired":
        token = mint_token_from_file(key, subject="x", roles=["bank"], ttl=timedelta(seconds=-5))
    elif tamper == "audience":
        token = mint_token_from_file(key, subject="x", roles=["bank"], audience="elsewhere")
    elif tamper == "other_key":
        other = tmp_path / "other"
        ensure_signing_key(other)
        token = mint_token_from_file(other / SIGNING_KEY_FILE, subject="x", roles=["bank"])
    else:
        token = "e30." + base64.urlsafe_b64encode(b'{"sub":"x"}').decode() + ".sig"
    with pytest.raises(Unauthorized):
        await verifier(keys).verify(token)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("620000", RegionLevel.PROVINCE),
        ("620100", RegionLevel.REPORTING_UNIT),
        ("620171", RegionLevel.REPORTING_UNIT),
        ("623000", RegionLevel.REPORTING_UNIT),
        ("620102", RegionLevel.COUNTY),
        ("629999", RegionLevel.NONE),
    ],
)
def test_region_claims_map_to_scope_levels(code: str, level: RegionLevel) -> None:
    assert region_scope_for(code).level is level


def test_scope_coverage_follows_reporting_units() -> None:
    lanzhou, new_area = region_scope_for("620100"), region_scope_for("620171")
    assert lanzhou.covers("620102", "620100")
    assert not lanzhou.covers("620121", "620171")  # 兰州新区 is parallel to 兰州市
    assert new_area.covers("620121", "620171")
    assert region_scope_for("620000").covers("623001", "623000")
    assert not region_scope_for("620000").covers("520102", "520100")
    assert not region_scope_for("620102").covers("620103", "620100")


def test_no_region_claim_sees_nothing_but_the_platform_admin_sees_all() -> None:
    officer = Principal(subject="o", roles=frozenset({"province_officer"}))
    admin = Principal(subject="a", roles=frozenset({"platform_admin"}))
    assert officer.region_scope().level is RegionLevel.NONE
    assert admin.region_scope().level is RegionLevel.ALL


async def test_client_credentials_grant_issues_a_scoped_token(keys: Path) -> None:
    clients = keys / "clients.json"
    save_client(
        clients,
        RegisteredClient(
            client_id="tax",
            secret_sha256=hash_secret("s3cret"),
            roles=("agency_system",),
            scopes=("registry:read",),
            region="620000",
        ),
    )
    app = create_issuer_app(
        signing_key_file=keys / SIGNING_KEY_FILE,
        clients_file=clients,
        issuer="sme-platform",
        audience="sme-platform",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        ok = await c.post(
            "/api/auth/v1/token", auth=("tax", "s3cret"), data={"grant_type": "client_credentials"}
        )
        assert ok.status_code == 200, ok.text
        principal = await verifier(keys).verify(ok.json()["access_token"])
        assert principal.scopes == {"registry:read"} and principal.client_id == "tax"
        wrong = await c.post(
            "/api/auth/v1/token",
            data={"grant_type": "client_credentials", "client_id": "tax", "client_secret": "nope"},
        )
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        greedy = await c.post(
            "/api/auth/v1/token",
            auth=("tax", "s3cret"),
            data={"grant_type": "client_credentials", "scope": "registry:write"},
        )
        assert greedy.status_code == 400 and greedy.json()["code"] == "scope_invalid"
        jwks = await c.get("/api/auth/v1/jwks.json")
        assert json.loads(jwks.text)["keys"][0]["kty"] == "RSA"


async def test_a_remembered_token_is_still_refused_once_it_expires(keys: Path) -> None:
    import time

    import jwt as pyjwt

    token = mint_token_from_file(
        keys / SIGNING_KEY_FILE, subject="x", roles=["bank"], ttl=timedelta(seconds=-5)
    )
    expires_at = float(pyjwt.decode(token, options={"verify_signature": False})["exp"])
    checker = verifier(keys)
    # As if it had been verified while it was still valid, a moment ago.
    checker._cache[token] = (
        Principal(subject="x", roles=frozenset({"bank"})),
        expires_at,
        time.monotonic(),
    )
    with pytest.raises(Unauthorized):
        await checker.verify(token)
