"""Every endpoint of every service needs a token, refuses roles it does not serve, keeps
officers to their region and an enterprise to itself. Routes are enumerated from the apps
themselves, so a new endpoint is covered the day it is added."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

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
PUBLIC_PATHS = frozenset(
    {
        "/api/certification/v1/verify/{code}",
        "/api/certification/v1/public/notices",
        "/api/certification/v1/public/notices/{notice_id}/objections",
        "/api/finance-matching/v1/lists/signing-keys",
    }
)
USCC = make_uscc(region="620102", body="MQ000001")
NEIGHBOUR = make_uscc(region="620102", body="MQ000002")
"""Another enterprise of the same county: as far from an enterprise token as any other."""

# Catalogues every caller with a token may read, like reference data (complaints: the categories a
# channel files under, Open311 ``services``).
EVERY_CALLER_PATHS = frozenset({"/api/complaints/v1/categories"})

# The only place the expert role is served: its assignments in certification (docs/certification.md).
EXPERT_PREFIX = "/api/certification/v1/expert/"

# Where the enterprise role (issue 8) is admitted, by operation id: the shared directory and
# event-schema reads everywhere; in registry the current state of its own record and its own
# self-declared facts (docs/registry.md, "The enterprise role"). A service that admits it anywhere
# else decides so here, in review.
SHARED_ENTERPRISE_OPERATIONS = frozenset(
    {"get_enterprise", "list_enterprises", "list_event_schemas", "get_event_schema"}
)
ENTERPRISE_OPERATIONS: dict[str, frozenset[str]] = {
    "registry": frozenset(
        {
            "get_enterprise",
            "search_enterprises",
            "list_facts",
            "get_facts",
            "file_facts",
            "get_size_class",
            "get_pool_path",
            "list_flags",
            "list_enterprise_people",
            "get_profile",
            "list_regions",
            "list_industry_sections",
            "list_event_schemas",
            "get_event_schema",
        }
    ),
    # Its own facts and applications (made, corrected, filed, self-assessed, followed), and the
    # batches it may apply in; never a review decision, a batch change or the 市州 report.
    "certification": SHARED_ENTERPRISE_OPERATIONS
    | {
        "get_enterprise_facts",
        "list_batches",
        "get_batch",
        "create_application",
        "list_applications",
        "get_application",
        "update_application",
        "assess_application",
        "submit_application",
        "list_application_steps",
        "add_application_document",
        "list_application_documents",
        "get_application_document",
        "list_enterprise_evaluations",
        "export_enterprise_evaluation",
    },
    # Its own entitlements (免申即享 awards) and their explanation, its own recovery orders (追回);
    # never a cancellation, a receipt or a report. Its own subsidy projects: filed, corrected,
    # evidenced, declared and followed; never a review step.
    "funding": SHARED_ENTERPRISE_OPERATIONS
    | {
        "list_entitlements",
        "get_entitlement",
        "list_enterprise_entitlements",
        "list_recovery_orders",
        "get_recovery_order",
    }
    | {
        "create_project",
        "list_projects",
        "get_project",
        "update_project",
        "add_project_evidence",
        "list_project_evidence",
        "get_project_evidence",
        "list_project_steps",
        "declare_project",
    },
    # The credit-product catalogue is shared with enterprises (seed 000 (十三)); an enterprise
    # files, follows and withdraws its own financing needs (融资需求库) and reads their matches.
    "finance-matching": SHARED_ENTERPRISE_OPERATIONS
    | {
        "list_products",
        "get_product",
        "create_need",
        "list_needs",
        "get_need",
        "update_need",
        "list_need_matches",
        # The institutions' reports on itself (feedback): read only.
        "list_feedback",
        "get_feedback",
        # The list and the catalogue pushed to it (seed 000 (十三)): read and acknowledged.
        "list_enterprise_pushes",
        "get_enterprise_push",
        "acknowledge_enterprise_push",
    },
    # The web channel: an enterprise files a complaint for itself and follows the cases it filed
    # (with the payment terms and interest shown on them).
    "complaints": SHARED_ENTERPRISE_OPERATIONS
    | {
        "list_categories",
        "create_case",
        "list_cases",
        "get_case",
        "list_case_steps",
        "get_case_payment_terms",
    }
    # Its own demands (诉求工作台账): recorded, followed, and confirmed closed or reopened by it.
    | {
        "list_demand_topics",
        "create_demand",
        "list_demands",
        "get_demand",
        "list_demand_steps",
        "take_demand_step",
    },
}


def concrete(path: str, uscc: str = USCC) -> str:
    return (
        path.replace("{uscc}", uscc)
        .replace("{year}", "2025")
        .replace("{flag_id}", "flag_x")
        .replace("{person_id}", "person_x")
        .replace("{assignment_id}", "assign_x")
        .replace("{job_id}", "import_x")
        .replace("{event_type}", "registry.enterprise.registered.v1")
        .replace("{certificate_id}", "cert_x")
        .replace("{document_id}", "national-2026-2")
        .replace("{run_id}", "run_0000000000000000")
    )


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """From the OpenAPI document: what callers integrate against is what is checked."""
    return sorted(
        (method.upper(), concrete(path))
        for path, operations in app.openapi()["paths"].items()
        if not OPEN.search(path) and path not in PUBLIC_PATHS
        for method in operations
    )


def operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every protected operation."""
    return sorted(
        (
            (method.upper(), path, operation)
            for path, methods in app.openapi()["paths"].items()
            if not OPEN.search(path) and path not in PUBLIC_PATHS
            for method, operation in methods.items()
        ),
        key=lambda entry: (entry[0], entry[1]),
    )


def admits_enterprise(operation: dict[str, Any]) -> bool:
    return "enterprise" in operation.get("x-roles", [])


async def register(module: ServiceModule, client: httpx.AsyncClient, uscc: str) -> None:
    """``uscc`` registered in 620102: through the registry's API, or as the registry's event
    reaching another service's directory."""
    if module.definition.name == "registry":
        created = await client.post(
            "/api/registry/v1/enterprises",
            headers=client.officer,  # type: ignore[attr-defined]
            json={"uscc": uscc, "name": f"区域测试企业{uscc[-3:]}", "region_code": "620102"},
        )
        assert created.status_code == 201, created.text
        return
    from sme_common.db import UnitOfWork
    from sme_common.directory.consumers import record_registered_enterprise
    from sme_common.events.envelope import CloudEvent

    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await record_registered_enterprise(
            uow,
            CloudEvent(
                type="registry.enterprise.registered.v1",
                source="/sme/registry",
                subject=uscc,
                data={
                    "uscc": uscc,
                    "name": f"区域测试企业{uscc[-3:]}",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "operating_status": "operating",
                    "registered_at": "2026-11-24T08:00:00+00:00",
                    "version": 1,
                },
            ),
        )
        await uow.commit()


@pytest_asyncio.fixture(params=SERVICES, ids=lambda m: m.definition.name)
async def service_client(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    auth_dir: Path,
    bearer: TokenFactory,
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
            client.officer = bearer("province_officer", region="620000")  # type: ignore[attr-defined]
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
            if "/reference/" in path or "/event-schemas" in path or path in EVERY_CALLER_PATHS:
                continue  # reference data and event schemas are for every caller with a token
            if role == "expert" and path.startswith(EXPERT_PREFIX):
                continue  # the expert's own assignments (certification, issue 8 item 3)
            response = await client.request(method, path, headers=headers, json={})
            assert response.status_code == 403, (role, method, path, response.text)


async def test_enterprise_endpoints_hide_enterprises_outside_the_region(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    province = bearer("province_officer", region="620000")
    await register(module, client, USCC)
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
        (bearer("enterprise", uscc=USCC), 403),  # not even its own records: the audit is oversight
    ):
        response = await client.get(path, headers=headers)
        assert response.status_code == status, (name, response.text)


async def test_the_enterprise_role_is_admitted_exactly_where_the_policy_says(
    service_client: tuple[ServiceModule, httpx.AsyncClient],
) -> None:
    module, client = service_client
    admitted = {
        operation["operationId"]
        for _m, _p, operation in operations(client.app)  # type: ignore[attr-defined]
        if admits_enterprise(operation)
    }
    assert admitted == ENTERPRISE_OPERATIONS[module.definition.name]


async def test_an_enterprise_is_refused_every_operation_that_does_not_admit_it(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    await register(module, client, USCC)
    enterprise = bearer("enterprise", uscc=USCC)
    refused = [
        (method, concrete(path))
        for method, path, operation in operations(client.app)  # type: ignore[attr-defined]
        if not admits_enterprise(operation)
    ]
    assert refused, module.definition.name  # at least the audit
    for method, path in refused:
        response = await client.request(method, path, headers=enterprise, json={})
        assert response.status_code == 403, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "role_forbidden", (method, path)


async def test_an_enterprise_sees_its_own_enterprise_and_no_other_in_every_service(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    for uscc in (USCC, NEIGHBOUR):
        await register(module, client, uscc)
    enterprise = bearer("enterprise", uscc=USCC)
    reads = [
        path
        for method, path, operation in operations(client.app)  # type: ignore[attr-defined]
        if method == "GET" and "{uscc}" in path and admits_enterprise(operation)
    ]
    assert reads, module.definition.name  # at least the directory entry
    for path in reads:
        own = await client.get(concrete(path, USCC), headers=enterprise)
        assert own.status_code == 200 or own.json()["code"] != "enterprise_not_found", path
        other = await client.get(concrete(path, NEIGHBOUR), headers=enterprise)
        assert other.status_code == 404, (path, other.text)
        assert other.json()["code"] == "enterprise_not_found", path
    prefix = module.definition.api_prefix
    listed = await client.get(f"{prefix}/v1/enterprises", headers=enterprise)
    assert listed.status_code == 200, listed.text
    assert [e["uscc"] for e in listed.json()["items"]] == [USCC]


FINANCE = next(m for m in SERVICES if m.definition.name == "finance-matching")
_PUSH_PEOPLE: list[tuple[str, dict[str, Any], bool, dict[str, int]]] = [
    # role, token claims, whether the pushed enterprise is in its view, statuses of
    # (get, ack, publish); every list answers 200, with the push or without it.
    ("province", {"region": "620000"}, True, {"get": 200, "ack": 403, "publish": 200}),
    ("admin", {}, True, {"get": 200, "ack": 403, "publish": 200}),
    ("city in", {"region": "620100"}, True, {"get": 200, "ack": 403, "publish": 403}),
    ("city out", {"region": "620200"}, False, {"get": 404, "ack": 403, "publish": 403}),
    ("county in", {"region": "620102"}, True, {"get": 200, "ack": 403, "publish": 403}),
    ("county out", {"region": "620503"}, False, {"get": 404, "ack": 403, "publish": 403}),
    ("enterprise", {"uscc": USCC}, True, {"get": 200, "ack": 200, "publish": 403}),
    ("neighbour", {"uscc": NEIGHBOUR}, False, {"get": 404, "ack": 404, "publish": 403}),
]
_PUSH_ROLES = {
    "province": "province_officer",
    "admin": "platform_admin",
    "city in": "city_officer",
    "city out": "city_officer",
    "county in": "county_officer",
    "county out": "county_officer",
    "enterprise": "enterprise",
    "neighbour": "enterprise",
}


@pytest.mark.parametrize("service_client", [FINANCE], indirect=True, ids=["finance-matching"])
async def test_enterprise_pushes_answer_every_role_in_and_out_of_region(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    """The enterprise push (finance-matching ``pushes``): the enterprise its own (and its
    acknowledgement), officers their region, the province (and the admin) also the run on
    demand; machine clients and experts nothing."""
    from sme_common.db import UnitOfWork
    from sme_common.events.envelope import CloudEvent
    from sme_finance_matching.certified.consumers import certificates_consumer
    from sme_finance_matching.lists.domain import Schedule
    from sme_finance_matching.pushes import service as pushes

    _module, client = service_client
    database = client.app.state.database  # type: ignore[attr-defined]
    for uscc in (USCC, NEIGHBOUR):
        await register(FINANCE, client, uscc)
    granted = "certification.certificate.granted.v1"
    async with UnitOfWork(database) as uow:
        await certificates_consumer.handlers[granted](
            uow,
            CloudEvent(
                type=granted,
                source="/sme/certification",
                subject=USCC,
                data={
                    "certificate_id": "cert_access",
                    "uscc": USCC,
                    "tier": "specialised",
                    "level": "provincial",
                    "issued_on": "2026-01-10",
                    "expires_on": "2099-01-09",
                },
            ),
        )
        await uow.commit()
    assert (await pushes.publish_due(database, schedule=Schedule.MONTHLY)).published == 1
    base = "/api/finance-matching/v1"
    listed = await client.get(f"{base}/enterprise-pushes", headers=bearer("platform_admin"))
    (push_id,) = [p["id"] for p in listed.json()["items"]]

    for label, claims, sees, statuses in _PUSH_PEOPLE:
        headers = bearer(_PUSH_ROLES[label], **claims)
        page = await client.get(f"{base}/enterprise-pushes", headers=headers)
        assert page.status_code == 200, (label, page.text)
        assert [p["id"] for p in page.json()["items"]] == ([push_id] if sees else []), label
        for action, method, path in (
            ("get", "GET", f"/enterprise-pushes/{push_id}"),
            ("ack", "POST", f"/enterprise-pushes/{push_id}/ack"),
            ("publish", "POST", "/enterprise-push-runs"),
        ):
            got = await client.request(method, base + path, headers=headers, json={})
            assert got.status_code == statuses[action], (label, action, got.text)
    for role in ("bank", "guarantor", "hotline", "agency_system", "expert"):
        headers = bearer(role, region="620000", scopes=("finance:read", "finance:write"))
        for method, path in (
            ("GET", "/enterprise-pushes"),
            ("GET", f"/enterprise-pushes/{push_id}"),
            ("POST", f"/enterprise-pushes/{push_id}/ack"),
            ("POST", "/enterprise-push-runs"),
        ):
            got = await client.request(method, base + path, headers=headers, json={})
            assert got.status_code == 403, (role, method, path, got.text)
