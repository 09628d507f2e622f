"""Registering and reading enterprises: validation, idempotency, the outbox, and region scope."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

URL = "/api/registry/v1/enterprises"


def enterprise(uscc: str, region: str = "620102", **extra: object) -> dict[str, object]:
    return {"uscc": uscc, "name": "甘肃示例科技有限公司", "region_code": region, **extra}


async def outbox_rows(client: httpx.AsyncClient) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from sme_common.events.tables import outbox_message

    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        result = await session.execute(select(outbox_message.c.event_type, outbox_message.c.key))
        return [tuple(r) for r in result.all()]  # type: ignore[misc]


async def test_registering_commits_the_enterprise_and_its_event_together(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = make_uscc(region="620102", body="MA100001")
    response = await client.post(
        URL,
        json=enterprise(uscc, industry_code="c3411"),
        headers=bearer("province_officer", region="620000"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reporting_unit_code"] == "620100"
    assert body["industry_code"] == "C3411"
    assert body["version"] == 1
    assert response.headers["location"].endswith(uscc)
    assert await outbox_rows(client) == [("registry.enterprise.registered.v1", uscc)]


async def test_invalid_uscc_is_a_problem_with_code_field_and_both_languages(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    good = make_uscc(region="620102", body="MA100002")
    wrong_check = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = await client.post(
        URL, json=enterprise(wrong_check), headers=bearer("province_officer", region="620000")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "uscc_invalid"
    assert problem["field"] == "uscc"
    assert problem["status"] == 422
    assert problem["type"].endswith("/uscc-invalid")
    assert "统一社会信用代码" in problem["detail_zh"]
    assert problem["detail"]
    assert await outbox_rows(client) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "缺代码"}, "uscc"),
        ({"uscc": "x", "name": "n", "region_code": "6201"}, "region_code"),
        ({"uscc": "x", "name": "n", "region_code": "620102", "surprise": 1}, "surprise"),
        (
            {"uscc": "x", "name": "n", "region_code": "620102", "founded_on": "yesterday"},
            "founded_on",
        ),
    ],
)
async def test_malformed_payloads_are_422_problems_naming_the_field(
    client: httpx.AsyncClient, bearer: TokenFactory, payload: dict[str, object], field: str
) -> None:
    response = await client.post(
        URL, json=payload, headers=bearer("province_officer", region="620000")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "request_invalid"
    assert response.json()["field"] == field
    assert response.json()["detail_zh"]


async def test_body_that_is_not_json_is_a_400_problem_not_a_500(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    response = await client.post(
        URL,
        content=b"{not json",
        headers={**bearer("province_officer", region="620000"), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "json_invalid"


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"region_code": "629999"}, "region_unknown", "region_code"),
        ({"industry_code": "Z99"}, "industry_code_invalid", "industry_code"),
        ({"industry_code": "A3411"}, "industry_code_invalid", "industry_code"),
        ({"founded_on": "2999-01-01"}, "founded_on_in_future", "founded_on"),
        ({"reporting_unit_code": "620500"}, "reporting_unit_mismatch", "reporting_unit_code"),
    ],
)
async def test_unacceptable_values_are_named(
    client: httpx.AsyncClient, bearer: TokenFactory, extra: dict[str, object], code: str, field: str
) -> None:
    uscc = make_uscc(region="620102", body="MA100003")
    response = await client.post(
        URL, json={**enterprise(uscc), **extra}, headers=bearer("province_officer", region="620000")
    )
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert await outbox_rows(client) == []


async def test_lanzhou_new_area_is_its_own_reporting_unit(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = make_uscc(region="620121", body="MA100004")
    response = await client.post(
        URL,
        json=enterprise(uscc, region="620121", reporting_unit_code="620171"),
        headers=bearer("province_officer", region="620000"),
    )
    assert response.status_code == 201, response.text
    assert response.json()["reporting_unit_code"] == "620171"
    new_area = bearer("city_officer", region="620171")
    lanzhou = bearer("city_officer", region="620100")
    assert (await client.get(f"{URL}/{uscc}", headers=new_area)).status_code == 200
    assert (await client.get(f"{URL}/{uscc}", headers=lanzhou)).status_code == 404


async def test_same_idempotency_key_and_body_replays_the_first_response(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    uscc = make_uscc(region="620102", body="MA100005")
    headers = {**bearer("province_officer", region="620000"), "Idempotency-Key": "k-5"}
    first = await client.post(URL, json=enterprise(uscc), headers=headers)
    second = await client.post(URL, json=enterprise(uscc), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert len(await outbox_rows(client)) == 1


async def test_same_idempotency_key_with_another_body_is_409(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    headers = {**bearer("province_officer", region="620000"), "Idempotency-Key": "k-6"}
    first = await client.post(URL, json=enterprise(make_uscc(body="MA100006")), headers=headers)
    other = await client.post(URL, json=enterprise(make_uscc(body="MA100007")), headers=headers)
    assert first.status_code == 201
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert len(await outbox_rows(client)) == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "semi;colon"])
async def test_malformed_idempotency_keys_are_refused(
    client: httpx.AsyncClient, bearer: TokenFactory, key: str
) -> None:
    headers = {**bearer("province_officer", region="620000"), "Idempotency-Key": key}
    response = await client.post(URL, json=enterprise(make_uscc(body="MA100016")), headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_invalid"
    assert await outbox_rows(client) == []


async def test_registering_twice_without_a_key_is_a_conflict(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    headers = bearer("province_officer", region="620000")
    uscc = make_uscc(body="MA100008")
    assert (await client.post(URL, json=enterprise(uscc), headers=headers)).status_code == 201
    again = await client.post(URL, json=enterprise(uscc), headers=headers)
    assert again.status_code == 409
    assert again.json()["code"] == "enterprise_exists"


class TestAccess:
    async def test_every_endpoint_requires_a_token(self, client: httpx.AsyncClient) -> None:
        uscc = make_uscc(body="MA100009")
        for method, path in [
            ("POST", URL),
            ("GET", f"{URL}/{uscc}"),
            ("GET", "/api/registry/v1/reference/regions"),
            ("GET", "/api/registry/v1/reference/industry-sections"),
        ]:
            response = await client.request(method, path, json=enterprise(uscc))
            assert response.status_code == 401, (method, path)
            assert response.json()["code"] == "token_missing"

    async def test_a_forged_token_is_rejected(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            f"{URL}/{make_uscc(body='MA100010')}", headers={"Authorization": "Bearer abc.def.ghi"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "token_invalid"

    async def test_county_officer_registers_only_in_own_county(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        county = bearer("county_officer", region="620102")
        inside = await client.post(URL, json=enterprise(make_uscc(body="MA100011")), headers=county)
        outside = await client.post(
            URL, json=enterprise(make_uscc(body="MA100012"), region="620103"), headers=county
        )
        assert inside.status_code == 201
        assert outside.status_code == 403
        assert outside.json()["code"] == "region_forbidden"

    async def test_officers_read_only_their_region(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        uscc = make_uscc(body="MA100013")
        province = bearer("province_officer", region="620000")
        assert (await client.post(URL, json=enterprise(uscc), headers=province)).status_code == 201
        allowed = [
            province,
            bearer("city_officer", region="620100"),
            bearer("county_officer", region="620102"),
            bearer("platform_admin"),
        ]
        denied = [
            bearer("city_officer", region="620500"),
            bearer("county_officer", region="620103"),
            bearer("province_officer"),  # no region claim: fail closed
            bearer("province_officer", region="520000"),
        ]
        for headers in allowed:
            assert (await client.get(f"{URL}/{uscc}", headers=headers)).status_code == 200
        for headers in denied:
            assert (await client.get(f"{URL}/{uscc}", headers=headers)).status_code == 404

    async def test_machine_clients_need_the_scope(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        uscc = make_uscc(body="MA100014")
        without = bearer("agency_system", region="620000", scopes=("registry:read",))
        with_scope = bearer("agency_system", region="620000", scopes=("registry:write",))
        denied = await client.post(URL, json=enterprise(uscc), headers=without)
        assert denied.status_code == 403
        assert denied.json()["code"] == "scope_missing"
        assert (
            await client.post(URL, json=enterprise(uscc), headers=with_scope)
        ).status_code == 201

    async def test_roles_outside_the_register_are_refused(
        self, client: httpx.AsyncClient, bearer: TokenFactory
    ) -> None:
        for role in ("bank", "hotline", "expert", "guarantor"):
            response = await client.get(
                f"{URL}/{make_uscc(body='MA100015')}",
                headers=bearer(role, region="620000", scopes=("registry:read",)),
            )
            assert response.status_code == 403, role


async def test_unknown_query_parameter_fails_closed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    response = await client.get(
        "/api/registry/v1/reference/regions?paren_code=620100",
        headers=bearer("province_officer", region="620000"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "query_parameter_unknown"


async def test_reference_regions_list_the_15_gansu_reporting_units(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    response = await client.get(
        "/api/registry/v1/reference/regions?parent_code=620000",
        headers=bearer("province_officer", region="620000"),
    )
    assert response.status_code == 200
    codes = {r["code"] for r in response.json()}
    assert "620100" in codes and "623000" in codes


async def test_concurrent_retries_with_one_key_register_once(
    registry_database_url: str, auth_dir: object, bearer: TokenFactory
) -> None:
    """Two copies of one request arriving together: one acts, the other replays its answer."""
    from sme_common.db.engine import Database
    from sme_common.settings import AuthSettings, KafkaSettings
    from sme_registry.app import create_app
    from sme_registry.config import Settings

    settings = Settings(
        database_url=registry_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),  # type: ignore[operator]
        run_workers=False,
    )
    database = Database.from_url(registry_database_url)
    app = create_app(settings, database=database)
    uscc = make_uscc(region="620102", body="MC999001")
    headers = {**bearer("province_officer", region="620000"), "Idempotency-Key": f"race-{uscc}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as client:
        responses = await asyncio.gather(
            *[client.post(URL, json=enterprise(uscc), headers=headers) for _ in range(5)]
        )
    try:
        assert [r.status_code for r in responses] == [201] * 5
        assert all(r.json() == responses[0].json() for r in responses)
        assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 4
        async with database.sessionmaker() as session:
            from sqlalchemy import text

            count = await session.scalar(
                text("SELECT count(*) FROM outbox_message WHERE key = :k"), {"k": uscc}
            )
            assert count == 1
    finally:
        async with database.sessionmaker() as session:
            from sqlalchemy import text

            for table in ("outbox_message", "enterprise"):
                column = "key" if table == "outbox_message" else "uscc"
                await session.execute(text(f"DELETE FROM {table} WHERE {column} = :k"), {"k": uscc})
            await session.execute(
                text("DELETE FROM idempotency_record WHERE key = :k"), {"k": f"race-{uscc}"}
            )
            await session.commit()
        await database.dispose()
