"""Every endpoint of every service needs a token, refuses roles it does not serve, and keeps
officers to their region. Routes are enumerated from the apps themselves, so a new endpoint is
covered the day it is added."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_embedded.platform import SERVICES, ServiceModule
from sme_registry.reference.service import load_reference_data

OPEN = re.compile(r"/(healthz|readyz|metrics|openapi\.json|docs.*)$")
# Under /v1/ but public on purpose (``sme_common.openapi.PUBLIC``): listed here, not inferred.
PUBLIC_PATHS = frozenset({"/api/certification/v1/verify/{code}"})
USCC = make_uscc(region="620102", body="MQ000001")


def concrete(path: str) -> str:
    return (
        path.replace("{uscc}", USCC)
        .replace("{year}", "2025")
        .replace("{flag_id}", "flag_x")
        .replace("{person_id}", "person_x")
        .replace("{assignment_id}", "assign_x")
        .replace("{job_id}", "import_x")
        .replace("{event_type}", "registry.enterprise.registered.v1")
        .replace("{certificate_id}", "cert_x")
    )


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """From the OpenAPI document: what callers integrate against is what is checked."""
    return sorted(
        (method.upper(), concrete(path))
        for path, operations in app.openapi()["paths"].items()
        if not OPEN.search(path) and path not in PUBLIC_PATHS
        for method in operations
    )


@pytest_asyncio.fixture(params=SERVICES, ids=lambda m: m.definition.name)
async def service_client(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory, auth_dir: Path
) -> AsyncIterator[tuple[ServiceModule, httpx.AsyncClient]]:
    module: ServiceModule = request.param
    url = database_factory.create(f"access_{module.definition.name}", module.definition.package)
    if module.definition.name == "registry":
        load_reference_data(url)
    settings = module.settings_class(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(url):
        app = module.create_app(settings, database=database)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://svc"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield module, client


async def test_every_endpoint_needs_a_token(
    service_client: tuple[ServiceModule, httpx.AsyncClient],
) -> None:
    module, client = service_client
    routes = protected_routes(client.app)  # type: ignore[attr-defined]
    assert routes, module.definition.name
    for method, path in routes:
        response = await client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["code"] == "token_missing"


async def test_roles_the_service_does_not_serve_are_refused(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    _module, client = service_client
    for role in ("bank", "hotline", "guarantor", "expert"):
        headers = bearer(role, region="620000", scopes=("registry:read", "registry:write"))
        for method, path in protected_routes(client.app):  # type: ignore[attr-defined]
            if "/reference/" in path or "/event-schemas" in path:
                continue  # reference data and event schemas are for every caller with a token
            response = await client.request(method, path, headers=headers, json={})
            assert response.status_code == 403, (role, method, path, response.text)


async def test_enterprise_endpoints_hide_enterprises_outside_the_region(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    province = bearer("province_officer", region="620000")
    if module.definition.name == "registry":
        created = await client.post(
            "/api/registry/v1/enterprises",
            headers=province,
            json={"uscc": USCC, "name": "区域测试企业", "region_code": "620102"},
        )
        assert created.status_code == 201
    else:
        from sme_common.db import UnitOfWork
        from sme_common.directory.consumers import record_registered_enterprise
        from sme_common.events.envelope import CloudEvent

        async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
            await record_registered_enterprise(
                uow,
                CloudEvent(
                    type="registry.enterprise.registered.v1",
                    source="/sme/registry",
                    subject=USCC,
                    data={
                        "uscc": USCC,
                        "name": "区域测试企业",
                        "region_code": "620102",
                        "reporting_unit_code": "620100",
                        "operating_status": "operating",
                        "registered_at": "2026-11-24T08:00:00+00:00",
                        "version": 1,
                    },
                ),
            )
            await uow.commit()
    outsider = bearer("county_officer", region="620503")
    reads = [
        (m, p)
        for m, p in protected_routes(client.app)  # type: ignore[attr-defined]
        if m == "GET" and USCC in p
    ]
    assert reads, module.definition.name
    for method, path in reads:
        inside = await client.request(method, path, headers=province)
        outside = await client.request(method, path, headers=outsider)
        assert outside.status_code == 404, (path, outside.text)
        assert inside.status_code != 404 or inside.json()["code"] != "enterprise_not_found", path


async def test_every_service_opens_its_audit_to_the_province_and_its_own_audit_clients(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    name = module.definition.name
    path = f"{module.definition.api_prefix}/v1/audit-records"
    other = "complaints" if name != "complaints" else "registry"
    for headers, status in (
        (bearer("province_officer", region="620000"), 200),
        (bearer("platform_admin"), 200),
        (bearer("agency_system", region="620000", scopes=(f"{name}:audit",)), 200),
        (bearer("agency_system", region="620000", scopes=(f"{other}:audit",)), 403),
        (bearer("city_officer", region="620100"), 403),
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == status, (name, response.text)
