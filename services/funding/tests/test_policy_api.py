"""The read-only policy catalogue: GET /v1/policies and /v1/policies/{policy_code}."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_funding.app import create_app
from sme_funding.config import Settings

BASE = "/api/funding/v1/policies"


@pytest.fixture(scope="module")
def policy_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("funding_policies", "sme_funding")


@pytest_asyncio.fixture
async def client(policy_database_url: str, auth_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=policy_database_url,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(policy_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://funding") as c:
            yield c


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("city_officer", region="620100")


async def test_list_by_province_and_day(client: httpx.AsyncClient, officer: dict[str, str]) -> None:
    response = await client.get(
        BASE, params={"province_code": "620000", "on": "2019-06-01"}, headers=officer
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["on"] == "2019-06-01"
    assert sorted((p["code"], p["version"]) for p in body["items"]) == [
        ("GS-GUIXIA-ZHUAN-GUISHANG", "2018"),
        ("GS-XJR-NATIONAL", "2018"),
        ("GS-ZJTX-PROV-FIRST", "2018"),
    ]
    above_scale = next(p for p in body["items"] if p["code"] == "GS-GUIXIA-ZHUAN-GUISHANG")
    assert above_scale["payee_kind"] == "city_government"
    assert above_scale["amount"] == {
        "kind": "per_unit",
        "amount_fen": None,
        "configurable": False,
        "rate_ratio": None,
        "max_rate_ratio": None,
        "cap_fen": None,
        "spend_threshold_fen": None,
        "investment_threshold_fen": None,
        "unit_amount_fen": 30000000,
    }
    assert above_scale["citations"][0]["document"] == "甘工信发〔2018〕551号"


async def test_list_everything_and_other_provinces(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    everything = (await client.get(BASE, headers=officer)).json()
    assert everything["on"] is None
    assert {p["province_code"] for p in everything["items"]} == {"620000", "520000", "420000"}
    hubei = (
        await client.get(
            BASE, params={"province_code": "420000", "on": "2024-01-01"}, headers=officer
        )
    ).json()
    rd = next(p for p in hubei["items"] if p["code"] == "HB-RD-PLATFORM")
    assert rd["amount"]["rate_ratio"] == "0.10" and rd["amount"]["max_rate_ratio"] == "0.20"
    assert rd["amount"]["cap_fen"] == 500 * 10_000 * 100
    assert rd["trigger"]["project_kind"] == "rd_platform"
    nothing = (await client.get(BASE, params={"province_code": "110000"}, headers=officer)).json()
    assert nothing["items"] == []


async def test_one_policy_with_its_stacking_rules_and_versions(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.get(f"{BASE}/GS-ZJTX-PROV-FIRST", headers=officer)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["version"] == "2023"
    assert [c["document"] for c in body["citations"]] == [
        "甘工信发〔2023〕128号",
        "甘工信发〔2023〕75号",
    ]
    assert body["trigger"] == {
        "kind": "certificate_granted",
        "tier": "specialised",
        "level": "provincial",
        "first_only": True,
        "project_kind": None,
        "holder_tiers": [],
        "unit": None,
    }
    assert {(tuple(r["policies"]), r["kind"]) for r in body["stacking"]} == {
        (("GS-ZJTX-PROV-FIRST", "GS-XJR-NATIONAL"), "stack"),
        (("GS-ZJTX-PROV-FIRST", "GS-ZJTX-PROV-FIRST"), "first_time_only"),
    }
    assert [v["version"] for v in body["versions"]] == ["2018", "2023"]
    old = (
        await client.get(f"{BASE}/GS-ZJTX-PROV-FIRST", params={"on": "2020-12-31"}, headers=officer)
    ).json()
    assert old["version"] == "2018" and old["effective_to"] == "2020-12-31"


async def test_guizhou_placeholder_amounts_are_marked(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    body = (await client.get(f"{BASE}/GZ-XJR-NATIONAL", headers=officer)).json()
    assert body["unverified"] is True and body["amount"]["configurable"] is True
    assert [r["kind"] for r in body["stacking"] if "GZ-XJR-PROV" in r["policies"]] == [
        "highest_only"
    ]


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/NO-SUCH", {}, 404, "policy_not_found"),
        ("/GS-ZJTX-PROV-FIRST", {"on": "2022-01-01"}, 404, "policy_not_found"),
        ("/GS-ZJTX-PROV-FIRST", {"on": "2023-02-30"}, 422, "date_invalid"),
        ("", {"on": "2023-13-01"}, 422, "date_invalid"),
        ("", {"province_code": "62"}, 422, None),
        ("", {"region": "620000"}, 422, None),
        ("/gs-lower", {}, 422, None),
    ],
)
async def test_bad_input_is_a_problem(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    path: str,
    params: dict[str, str],
    status: int,
    code: str | None,
) -> None:
    response = await client.get(f"{BASE}{path}", params=params, headers=officer)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if code is not None:
        assert response.json()["code"] == code


@pytest.mark.parametrize(
    ("role", "region", "scopes", "status"),
    [
        ("province_officer", "620000", (), 200),
        ("city_officer", "420100", (), 200),  # the catalogue is not region-scoped
        ("county_officer", "620102", (), 200),
        ("platform_admin", None, (), 200),
        ("agency_system", "620000", ("funding:read",), 200),
        ("agency_system", "620000", ("registry:read",), 403),
        ("bank", "620000", ("funding:read",), 403),
        ("enterprise", None, (), 403),
    ],
)
async def test_who_may_read(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    role: str,
    region: str | None,
    scopes: tuple[str, ...],
    status: int,
) -> None:
    if role == "enterprise":
        headers = bearer(role, uscc="91620100MA74XXXX1X")
    else:
        headers = bearer(role, region=region, scopes=scopes)
    for path in (BASE, f"{BASE}/HB-XJR-NATIONAL"):
        response = await client.get(path, headers=headers)
        assert response.status_code == status, (role, path, response.text)
    assert (await client.get(BASE)).status_code == 401
