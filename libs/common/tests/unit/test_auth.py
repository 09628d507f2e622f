"""Tokens, principals and region scope."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from pathlib import Path

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from sme_common.auth.issuer import RegisteredClient, create_issuer_app, hash_secret, save_client
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key, key_id
from sme_common.auth.principal import Principal, RegionLevel, region_scope_for
from sme_common.auth.tokens import mint_token_from_file
from sme_common.auth.verify import JwtVerifier
from sme_common.errors import DomainError, Unauthorized
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


async def test_the_token_endpoint_refuses_a_large_body(keys: Path) -> None:
    app = create_issuer_app(
        signing_key_file=keys / SIGNING_KEY_FILE,
        clients_file=keys / "clients.json",
        issuer="sme-platform",
        audience="sme-platform",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        response = await c.post(
            "/api/auth/v1/token", data={"grant_type": "client_credentials", "x": "y" * 100_000}
        )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


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


def _claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": "sme-platform",
        "aud": "sme-platform",
        "sub": "x",
        "iat": now,
        "exp": now + 600,
        "roles": ["province_officer"],
        "region": "620000",
        **extra,
    }


@pytest.mark.parametrize("algorithm", ["ES256", "PS256", "HS256", "none"])
async def test_a_token_under_our_key_id_but_another_algorithm_is_a_401(
    keys: Path, algorithm: str
) -> None:
    """The algorithm comes from our key, never from the token's header."""
    pem = (keys / SIGNING_KEY_FILE).read_bytes()
    signing: object
    if algorithm == "ES256":
        signing = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "PS256":
        signing = pem  # our own RSA key, in another signature scheme
    elif algorithm == "HS256":
        signing = b"a shared secret anybody could guess"
    else:
        signing = None
    token = pyjwt.encode(_claims(), signing, algorithm=algorithm, headers={"kid": key_id(pem)})  # type: ignore[arg-type]
    with pytest.raises(Unauthorized) as refused:
        await verifier(keys).verify(token)
    assert refused.value.code == "token_invalid"


@pytest.mark.parametrize(
    ("roles", "region", "status", "code"),
    [
        (["province_officer"], 620000, 401, "token_invalid"),
        (["province_officer"], ["620000"], 401, "token_invalid"),
        (["province_officer"], "%%0000", 403, "region_unknown"),
        (["city_officer"], "629999", 403, "region_unknown"),
        (["city_officer"], "420400", 403, "region_unknown"),  # 沙市市, abolished in 1994
        (["county_officer"], "620000", 403, "region_role_mismatch"),
        (["county_officer"], "620100", 403, "region_role_mismatch"),
        (["city_officer"], "620102", 403, "region_role_mismatch"),
        (["province_officer"], "620100", 403, "region_role_mismatch"),
        (["agency_system"], "62%", 403, "region_unknown"),
    ],
)
async def test_a_region_claim_must_be_a_known_code_that_fits_the_role(
    keys: Path, roles: list[str], region: object, status: int, code: str
) -> None:
    pem = (keys / SIGNING_KEY_FILE).read_bytes()
    token = pyjwt.encode(
        _claims(roles=roles, region=region), pem, algorithm="RS256", headers={"kid": key_id(pem)}
    )
    with pytest.raises(DomainError) as refused:
        await verifier(keys).verify(token)
    assert (refused.value.status, refused.value.code) == (status, code)


@pytest.mark.parametrize(
    ("roles", "region"),
    [
        (["platform_admin"], None),
        (["province_officer"], "520000"),
        (["city_officer"], "620171"),
        (["city_officer"], "623000"),
        (["county_officer"], "620121"),
        (["agency_system"], "620000"),
        (["bank"], None),
    ],
)
async def test_region_claims_that_fit_their_role_are_accepted(
    keys: Path, roles: list[str], region: str | None
) -> None:
    token = mint_token_from_file(keys / SIGNING_KEY_FILE, subject="x", roles=roles, region=region)
    assert (await verifier(keys).verify(token)).region == region


def test_a_region_code_the_catalogue_does_not_know_scopes_to_nothing() -> None:
    for code in ("%%0000", "62%", "_20000", "990000"):
        assert region_scope_for(code).level is RegionLevel.NONE
