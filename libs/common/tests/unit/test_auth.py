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
from sqlalchemy import column
from sqlalchemy.dialects import postgresql

from sme_common.auth.issuer import RegisteredClient, create_issuer_app, hash_secret, save_client
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key, key_id
from sme_common.auth.principal import Principal, RegionLevel, RegionScope, region_scope_for
from sme_common.auth.tokens import mint_token_from_file
from sme_common.auth.verify import JwtVerifier
from sme_common.errors import DomainError, Unauthorized
from sme_common.ids import make_uscc
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


# The enterprise role (issue 8): a token bound to one USCC, seeing that enterprise alone.
ENTERPRISE_A = make_uscc(region="620102", body="MA0000A1")
ENTERPRISE_B = make_uscc(region="620102", body="MA0000B2")


async def test_an_enterprise_token_verifies_to_a_principal_bound_to_its_uscc(keys: Path) -> None:
    token = mint_token_from_file(
        keys / SIGNING_KEY_FILE, subject="person-1", roles=["enterprise"], uscc=ENTERPRISE_A
    )
    principal = await verifier(keys).verify(token)
    assert principal.uscc == ENTERPRISE_A and principal.roles == {"enterprise"}
    assert not principal.is_machine
    scope = principal.region_scope()
    assert (scope.level, scope.code) == (RegionLevel.ENTERPRISE, ENTERPRISE_A)


async def test_the_uscc_claim_is_read_in_its_normal_form(keys: Path) -> None:
    pem = (keys / SIGNING_KEY_FILE).read_bytes()
    claims = _claims(roles=["enterprise"], uscc=ENTERPRISE_A.lower())
    del claims["region"]
    token = pyjwt.encode(claims, pem, algorithm="RS256", headers={"kid": key_id(pem)})
    assert (await verifier(keys).verify(token)).uscc == ENTERPRISE_A


@pytest.mark.parametrize(
    ("roles", "region", "uscc", "status", "code"),
    [
        (["enterprise"], None, None, 403, "uscc_claim_missing"),
        (["enterprise"], None, "", 403, "uscc_claim_invalid"),
        (["enterprise"], None, ENTERPRISE_A[:-1] + "0", 403, "uscc_claim_invalid"),
        (["enterprise"], None, "91620102MA0000A1", 403, "uscc_claim_invalid"),
        (["enterprise"], None, 91620102, 401, "token_invalid"),
        (["enterprise"], None, [ENTERPRISE_A], 401, "token_invalid"),
        (["enterprise"], "620000", ENTERPRISE_A, 403, "enterprise_role_exclusive"),
        (["enterprise", "province_officer"], None, ENTERPRISE_A, 403, "enterprise_role_exclusive"),
        (["enterprise", "platform_admin"], None, ENTERPRISE_A, 403, "enterprise_role_exclusive"),
        (["province_officer"], "620000", ENTERPRISE_A, 403, "uscc_claim_unexpected"),
        (["platform_admin"], None, ENTERPRISE_A, 403, "uscc_claim_unexpected"),
        (["agency_system"], "620000", ENTERPRISE_A, 403, "uscc_claim_unexpected"),
    ],
)
async def test_an_enterprise_token_needs_a_valid_uscc_and_no_other_token_carries_one(
    keys: Path, roles: list[str], region: str | None, uscc: object, status: int, code: str
) -> None:
    pem = (keys / SIGNING_KEY_FILE).read_bytes()
    claims = _claims(roles=roles, region=region)
    if region is None:
        del claims["region"]
    if uscc is not None:
        claims["uscc"] = uscc
    token = pyjwt.encode(claims, pem, algorithm="RS256", headers={"kid": key_id(pem)})
    with pytest.raises(DomainError) as refused:
        await verifier(keys).verify(token)
    assert (refused.value.status, refused.value.code) == (status, code)
    if status == 403:
        assert refused.value.field in ("uscc", "roles") and refused.value.detail_zh


def test_an_enterprise_scope_limits_rows_to_its_own_uscc() -> None:
    scope = Principal(subject="p", roles=frozenset({"enterprise"}), uscc=ENTERPRISE_A)
    clause = scope.region_scope().clause(
        column("region_code"), column("reporting_unit_code"), uscc_col=column("uscc")
    )
    compiled = clause.compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
    assert str(compiled) == f"uscc = '{ENTERPRISE_A}'"


def test_an_enterprise_scope_without_a_uscc_column_sees_nothing() -> None:
    scope = RegionScope.of_enterprise(ENTERPRISE_A)
    clause = scope.clause(column("region_code"), column("reporting_unit_code"))
    assert str(clause) == "false"
    nobody = RegionScope(RegionLevel.ENTERPRISE)
    assert str(nobody.clause(column("r"), column("ru"), uscc_col=column("u"))) == "false"


def test_an_enterprise_scope_covers_its_own_uscc_and_no_place() -> None:
    scope = RegionScope.of_enterprise(ENTERPRISE_A)
    assert scope.covers("620102", "620100", uscc=ENTERPRISE_A)
    assert not scope.covers("620102", "620100", uscc=ENTERPRISE_B)
    assert not scope.covers("620102", "620100")  # a place is never an enterprise's to choose
    # Officers' scopes are unchanged by the new keyword.
    assert region_scope_for("620100").covers("620102", "620100", uscc=ENTERPRISE_B)


def test_an_enterprise_principal_without_a_uscc_sees_nothing() -> None:
    principal = Principal(subject="p", roles=frozenset({"enterprise"}))
    assert principal.region_scope().level is RegionLevel.NONE


async def test_the_client_credentials_issuer_never_issues_an_enterprise_token(keys: Path) -> None:
    clients = keys / "clients.json"
    with pytest.raises(ValueError, match="enterprise"):
        save_client(
            clients,
            RegisteredClient(client_id="e", secret_sha256=hash_secret("s"), roles=("enterprise",)),
        )
    # A clients file edited by hand is still refused at the token endpoint.
    clients.write_text(
        json.dumps(
            {
                "clients": [
                    {
                        "client_id": "e",
                        "secret_sha256": hash_secret("s"),
                        "roles": ["enterprise"],
                        "scopes": [],
                    }
                ]
            }
        )
    )
    app = create_issuer_app(
        signing_key_file=keys / SIGNING_KEY_FILE,
        clients_file=clients,
        issuer="sme-platform",
        audience="sme-platform",
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        refused = await c.post(
            "/api/auth/v1/token", auth=("e", "s"), data={"grant_type": "client_credentials"}
        )
    assert refused.status_code == 400, refused.text
    assert refused.json()["code"] == "client_role_not_issuable"
    assert refused.json()["error"] == "unauthorized_client"
    assert "access_token" not in refused.json()


async def test_sme_token_mints_an_enterprise_token_for_a_valid_uscc(
    keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sme_common.auth.cli import main

    args = ["mint", "--dir", str(keys), "--sub", "person-1", "--role", "enterprise"]
    assert main([*args, "--uscc", ENTERPRISE_A.lower()]) == 0
    principal = await verifier(keys).verify(capsys.readouterr().out.strip())
    assert (principal.roles, principal.uscc) == ({"enterprise"}, ENTERPRISE_A)


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        (["--role", "enterprise"], "uscc_claim_missing"),
        (["--role", "enterprise", "--uscc", "91620102MA0000A1"], "uscc_claim_invalid"),
        (
            ["--role", "enterprise", "--uscc", ENTERPRISE_A, "--region", "620000"],
            "enterprise_role_exclusive",
        ),
        (
            ["--role", "province_officer", "--region", "620000", "--uscc", ENTERPRISE_A],
            "uscc_claim_unexpected",
        ),
    ],
)
def test_sme_token_refuses_an_enterprise_token_the_services_would_refuse(
    keys: Path, capsys: pytest.CaptureFixture[str], extra: list[str], code: str
) -> None:
    from sme_common.auth.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["mint", "--dir", str(keys), "--sub", "p", *extra])
    assert exited.value.code == 2
    captured = capsys.readouterr()
    assert code in captured.err and not captured.out


def test_sme_token_registers_no_enterprise_client(
    keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sme_common.auth.cli import main

    with pytest.raises(SystemExit):
        main(["add-client", "--dir", str(keys), "--client-id", "e", "--role", "enterprise"])
    assert "enterprise" in capsys.readouterr().err
    assert not (keys / "clients.json").exists()
