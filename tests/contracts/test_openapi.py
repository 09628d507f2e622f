"""What every service's OpenAPI document promises a client generator (security, typed errors,
operation ids, headers, media types), and the HTTP answers a generated client relies on: malformed
JSON is a 400, a 405 names every allowed method, a conditional GET answers 304."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from jsonschema import Draft202012Validator

from sme_common.auth.issuer import create_issuer_app
from sme_common.auth.keys import ensure_signing_key
from sme_common.ids import is_valid_uscc, make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_embedded.platform import SERVICES
from sme_registry.app import create_app
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data

PUBLIC_SUFFIXES = ("/healthz", "/readyz", "/metrics")
# Under /v1/ but public on purpose (``sme_common.openapi.PUBLIC``): listed here, not inferred.
PUBLIC_PATHS = frozenset(
    {
        "/api/certification/v1/verify/{code}",
        "/api/certification/v1/public/notices",
        "/api/certification/v1/public/notices/{notice_id}/objections",
        "/api/finance-matching/v1/lists/signing-keys",
    }
)
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
USCC = make_uscc(region="620102", body="MP000001")


def _documents() -> Iterator[tuple[str, dict[str, Any]]]:
    with tempfile.TemporaryDirectory(prefix="sme-openapi-keys-") as directory:
        ensure_signing_key(Path(directory))
        for module in SERVICES:
            settings = module.settings_class(
                auth=AuthSettings(jwks_file=Path(directory) / "jwks.json"), run_workers=False
            )
            yield module.definition.name, module.create_app(settings).openapi()


DOCUMENTS = dict(_documents())


def _operations() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for service, document in DOCUMENTS.items():
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                yield service, method, path, operation


def test_every_service_declares_bearer_jwt_and_oauth2_client_credentials() -> None:
    for service, document in DOCUMENTS.items():
        schemes = document["components"]["securitySchemes"]
        assert schemes["bearerAuth"] == {
            **schemes["bearerAuth"],
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
        }
        flow = schemes["oauth2ClientCredentials"]["flows"]["clientCredentials"]
        assert flow["tokenUrl"] == "/api/auth/v1/token"
        assert f"{service}:read" in flow["scopes"], service


def test_public_endpoints_are_public_and_every_other_operation_needs_a_token() -> None:
    for service, method, path, operation in _operations():
        label = f"{service} {method} {path}"
        if path.endswith(PUBLIC_SUFFIXES) or path in PUBLIC_PATHS:
            assert operation["security"] == [], label
            assert "401" not in operation["responses"], label
            assert {"413", "422"} <= set(operation["responses"]), label
        else:
            assert {"bearerAuth": []} in operation["security"], label
            oauth2 = next(s for s in operation["security"] if "oauth2ClientCredentials" in s)
            assert oauth2["oauth2ClientCredentials"], f"{label}: no scope named"
            assert {"401", "403", "413", "422", "503"} <= set(operation["responses"]), label


def test_every_error_answer_is_a_typed_problem_with_its_codes() -> None:
    for service, method, path, operation in _operations():
        for status, response in operation["responses"].items():
            if int(status) < 400 or path.endswith("/readyz"):
                continue
            label = f"{service} {method} {path} {status}"
            assert response["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}, (
                label
            )
            assert response["x-error-codes"], label
    problem = DOCUMENTS["registry"]["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "code", "detail", "detail_zh"}
    assert {"field", "request_id", "errors"} <= set(problem["properties"])


def test_operations_declare_the_errors_they_raise() -> None:
    paths = DOCUMENTS["registry"]["paths"]
    register = paths["/api/registry/v1/enterprises"]["post"]["responses"]
    assert {"400", "409", "413", "422"} <= set(register)
    assert "enterprise_exists" in register["409"]["x-error-codes"]
    update = paths["/api/registry/v1/enterprises/{uscc}"]["patch"]["responses"]
    assert "version_conflict" in update["409"]["x-error-codes"]
    assert "enterprise_not_found" in update["404"]["x-error-codes"]


def test_operation_ids_are_the_endpoint_names_and_unique() -> None:
    for service, document in DOCUMENTS.items():
        ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
        assert len(ids) == len(set(ids)), service
        assert all(i.isidentifier() and "_api_" not in i for i in ids), ids
    paths = DOCUMENTS["registry"]["paths"]
    assert paths["/api/registry/v1/enterprises"]["post"]["operationId"] == "register_enterprise"
    assert paths["/api/registry/v1/enterprises/{uscc}"]["get"]["operationId"] == "get_enterprise"


def test_headers_and_media_types_are_declared() -> None:
    paths = DOCUMENTS["registry"]["paths"]
    register = paths["/api/registry/v1/enterprises"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in register["parameters"]}
    assert "Location" in register["responses"]["201"]["headers"]
    read = paths["/api/registry/v1/enterprises/{uscc}"]["get"]
    assert "ETag" in read["responses"]["200"]["headers"]
    assert "304" in read["responses"]
    assert "if-none-match" in {p["name"].lower() for p in read["parameters"]}
    update = paths["/api/registry/v1/enterprises/{uscc}"]["patch"]
    assert "if-match" in {p["name"].lower() for p in update["parameters"]}
    export = paths["/api/registry/v1/exports/enterprises"]["get"]["responses"]["200"]["content"]
    assert set(export) == {
        "text/csv; charset=utf-8",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    metrics = paths["/api/registry/metrics"]["get"]["responses"]["200"]["content"]
    assert [media.split(";")[0] for media in metrics] == ["text/plain"]


@pytest.fixture(scope="module")
def registry_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("openapi_registry", "sme_registry")
    load_reference_data(url)
    return url


@pytest_asyncio.fixture
async def client(registry_url: str, auth_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=registry_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(registry_url):
        transport = httpx.ASGITransport(app=create_app(settings, database=database))
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            yield client


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def test_malformed_json_is_a_400_json_invalid(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.post(
        "/api/registry/v1/enterprises",
        content=b'{"uscc": ',
        headers={**officer, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "json_invalid"


async def test_well_formed_json_that_breaks_the_schema_is_still_a_422(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.post("/api/registry/v1/enterprises", json={"uscc": 5}, headers=officer)
    assert response.status_code == 422
    assert response.json()["code"] == "request_invalid"


async def test_a_405_lists_every_method_the_path_allows(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    response = await client.delete("/api/registry/v1/enterprises", headers=officer)
    assert response.status_code == 405
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    response = await client.delete(f"/api/registry/v1/enterprises/{USCC}", headers=officer)
    assert {"GET", "PATCH"} <= {m.strip() for m in response.headers["allow"].split(",")}


async def test_if_none_match_with_the_current_etag_answers_304(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    created = await client.post(
        "/api/registry/v1/enterprises",
        json={"uscc": USCC, "name": "条件请求企业", "region_code": "620102"},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    url = f"/api/registry/v1/enterprises/{USCC}"
    first = await client.get(url, headers=officer)
    etag = first.headers["etag"]
    unchanged = await client.get(url, headers={**officer, "If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.headers["etag"] == etag and unchanged.content == b""
    weak = await client.get(url, headers={**officer, "If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    stale = await client.get(url, headers={**officer, "If-None-Match": '"999"'})
    assert stale.status_code == 200 and stale.json()["uscc"] == USCC
    renamed = await client.patch(
        url, json={"name": "条件请求企业（更名）"}, headers={**officer, "If-Match": etag}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.headers["etag"] == f'"{renamed.json()["version"]}"' != etag
    changed = await client.get(url, headers={**officer, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] == renamed.headers["etag"]


async def test_a_patch_naming_no_version_is_428_version_required(
    client: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    uscc = make_uscc(region="620102", body="MP000002")
    created = await client.post(
        "/api/registry/v1/enterprises",
        json={"uscc": uscc, "name": "无版本更新企业", "region_code": "620102"},
        headers=officer,
    )
    assert created.status_code == 201, created.text
    refused = await client.patch(
        f"/api/registry/v1/enterprises/{uscc}", json={"name": "无版本"}, headers=officer
    )
    assert refused.status_code == 428
    assert refused.json()["code"] == "version_required"


def test_the_token_endpoint_is_public_and_declares_its_own_errors(tmp_path: Path) -> None:
    ensure_signing_key(tmp_path)
    issuer = create_issuer_app(
        signing_key_file=tmp_path / "signing-key.pem",
        clients_file=tmp_path / "clients.json",
        issuer="https://issuer.test",
        audience="sme-platform",
    )
    document = issuer.openapi()
    token = document["paths"]["/api/auth/v1/token"]["post"]
    assert token["operationId"] == "issue_token"
    assert token["security"] == []
    assert token["responses"]["401"]["x-error-codes"] == ["client_invalid"]
    assert token["responses"]["400"]["x-error-codes"] == [
        "unsupported_grant_type",
        "scope_invalid",
        "client_role_not_issuable",
    ]
    assert "access_token" in document["components"]["schemas"]["TokenAnswer"]["required"]


MAIN_READS = {
    "get_enterprise",
    "search_enterprises",
    "get_facts",
    "get_pool_path",
    "get_import",
    "list_enterprises",
    "healthz",
    "readyz",
}


def _component(document: dict[str, Any], schema: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = schema["$ref"].rsplit("/", 1)[-1]
    return name, document["components"]["schemas"][name]


def test_request_bodies_and_main_responses_carry_examples() -> None:
    for service, method, path, operation in _operations():
        document = DOCUMENTS[service]
        label = f"{service} {method} {path}"
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            name, component = _component(document, body["schema"])
            assert component.get("examples"), f"{label}: request body {name} has no example"
        if body is None and operation["operationId"] not in MAIN_READS:
            continue
        for status, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if status.startswith("2") and content is not None:
                name, component = _component(document, content["schema"])
                assert component.get("examples"), f"{label}: {status} {name} has no example"


def _uscc_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "uscc":
                yield item
            else:
                yield from _uscc_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _uscc_values(item)


def test_every_example_matches_its_schema_and_names_a_valid_uscc() -> None:
    checked = 0
    for service, document in DOCUMENTS.items():
        for name, component in document["components"]["schemas"].items():
            validator = Draft202012Validator(
                {"$ref": f"#/components/schemas/{name}", "components": document["components"]},
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            for example in component.get("examples", []):
                errors = [e.message for e in validator.iter_errors(example)]
                assert not errors, f"{service} {name}: {errors}"
                for uscc in _uscc_values(example):
                    assert is_valid_uscc(uscc), f"{service} {name}: {uscc}"
                checked += 1
    assert checked >= 20
