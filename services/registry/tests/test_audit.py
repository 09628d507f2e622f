"""Every register write leaves an audit record (actor, request id, resource, before and after) in
its own transaction; reads of personal data leave one too; the audit is queried by resource, actor
and time, by the province and the platform admin only."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.registry.tests.support import register_enterprise
from sme_common.audit.verify import verify_chain
from sme_common.auth.principal import Principal
from sme_common.db import Database
from sme_common.events.consumer import ConsumerRunner
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory
from sme_registry.activity.consumers import certification_consumer
from sme_registry.app import create_app
from sme_registry.bulk import service as bulk_service
from sme_registry.bulk.worker import import_workers
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data

URL = "/api/registry/v1"
AUDIT = f"{URL}/audit-records"


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="officer-wang")


@pytest.fixture
def admin(bearer: TokenFactory) -> dict[str, str]:
    return bearer("platform_admin", subject="admin-li")


async def deliver_event(client: httpx.AsyncClient, event: CloudEvent) -> None:
    runner = ConsumerRunner(
        spec=certification_consumer,
        database=client.app.state.database,  # type: ignore[attr-defined]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )
    await runner.apply(event, certification_consumer.handlers[event.type])


@contextlib.asynccontextmanager
async def bulk_client(
    database_factory: DatabaseFactory, auth_dir: Path, import_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A registry on its own database, as the application role (the import job runs beside)."""
    url = database_factory.create("audit_bulk", "sme_registry")
    load_reference_data(url)
    settings = Settings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        import_dir=import_dir,
    )
    database = Database.from_url(url, role="sme_app")
    app = create_app(settings, database=database)
    # The import workers run beside the API, as in a service process, in a context of their own
    # (a worker never sees a request's actor).
    stop = asyncio.Event()
    workers = asyncio.create_task(
        import_workers(settings, database, stop), context=contextvars.Context()
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        stop.set()
        await workers
        await database.dispose()


async def records(
    client: httpx.AsyncClient, headers: dict[str, str], **filters: str
) -> list[dict[str, Any]]:
    response = await client.get(AUDIT, params=filters, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_registering_records_the_actor_request_and_the_new_row(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str]
) -> None:
    uscc = await register_enterprise(
        client, officer, "MA100001", request_id="req-MA100001", legal_representative="张三"
    )
    [record] = await records(client, admin, resource_type="enterprise", resource_id=uscc)
    assert record["action"] == "insert"
    assert record["actor"] == {
        "subject": "officer-wang",
        "roles": ["province_officer"],
        "client": None,
    }
    assert record["request_id"] == "req-MA100001"
    assert record["before"] is None
    assert record["after"]["legal_representative"] == "张三"


async def test_an_update_records_the_row_before_and_after(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str]
) -> None:
    uscc = await register_enterprise(client, officer, "MA100002")
    changed = await client.patch(
        f"{URL}/enterprises/{uscc}", headers=officer, json={"version": 1, "name": "新名称"}
    )
    assert changed.status_code == 200, changed.text
    update = (await records(client, admin, resource_type="enterprise", resource_id=uscc))[-1]
    assert update["action"] == "update"
    assert (update["before"]["name"], update["after"]["name"]) == ("企业MA100002", "新名称")
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)


async def test_facts_flags_pools_people_and_assignments_are_each_audited(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str]
) -> None:
    uscc = await register_enterprise(client, officer, "MA100003")
    facts = await client.put(
        f"{URL}/enterprises/{uscc}/facts/2025",
        headers=officer,
        json={"employees": 120, "operating_revenue_fen": 80_000_000_00},
    )
    assert facts.status_code == 201, facts.text
    flag = await client.post(
        f"{URL}/enterprises/{uscc}/flags",
        headers=officer,
        json={
            "kind": "abnormal_operations",
            "source": "甘肃省市场监督管理局",
            "reference": "JYYC-2026-009",
            "started_on": "2026-03-01",
        },
    )
    assert flag.status_code == 201, flag.text
    moved = await client.post(
        f"{URL}/enterprises/{uscc}/pool-moves",
        headers=officer,
        json={"action": "enter", "pool": "scale_up", "on": "2026-02-01", "reason": "规上"},
    )
    assert moved.status_code == 200, moved.text
    person = await client.post(
        f"{URL}/people",
        headers=officer,
        json={
            "name": "李专员",
            "role": "service_commissioner",
            "region_code": "620102",
            "phone": "0931-1234567",
        },
    )
    assert person.status_code == 201, person.text
    assigned = await client.post(
        f"{URL}/people/{person.json()['id']}/assignments",
        headers=officer,
        json={"uscc": uscc, "assigned_on": "2026-02-01"},
    )
    assert assigned.status_code == 201, assigned.text

    written = {
        (r["resource_type"], r["action"])
        for r in await records(client, admin, actor="officer-wang", limit="500")
    }
    assert {
        ("enterprise", "insert"),
        ("enterprise_facts", "insert"),
        ("credit_flag", "insert"),
        ("pool_entry", "insert"),
        ("service_person", "insert"),
        ("service_assignment", "insert"),
    } <= written
    [facts_record] = await records(
        client, admin, resource_type="enterprise_facts", resource_id=f"{uscc}/2025"
    )
    assert facts_record["after"]["employees"] == 120
    [person_record] = await records(
        client, admin, resource_type="service_person", resource_id=person.json()["id"]
    )
    assert person_record["after"]["phone"] == "0931-1234567"


async def test_events_are_audited_with_their_source_service_as_actor(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str]
) -> None:
    uscc = await register_enterprise(client, officer, "MA100004")
    event = CloudEvent(
        type="certification.certificate.granted.v1",
        source="/sme/certification",
        subject=uscc,
        data={
            "certificate_id": "cert-a1",
            "uscc": uscc,
            "tier": "innovative",
            "level": "provincial",
            "certificate_number": "GS-a1",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
        },
    )
    await deliver_event(client, event)
    [held] = await records(client, admin, resource_type="held_certificate", resource_id="cert-a1")
    assert held["actor"]["subject"] == "service:certification"
    assert held["request_id"] == event.id


@pytest.mark.parametrize(
    ("path", "resource_type", "with_id"),
    [
        ("/enterprises/{uscc}", "enterprise", True),
        ("/enterprises/{uscc}/history", "enterprise_history", True),
        ("/enterprises/{uscc}/profile", "enterprise_profile", True),
        ("/enterprises/{uscc}/people", "enterprise_people", True),
        ("/people", "service_person", False),
        ("/enterprises?q=企业M", "enterprise_search", False),
        ("/exports/enterprises?format=csv", "enterprise_export", False),
    ],
)
async def test_reads_of_personal_data_record_who_read_what(
    client: httpx.AsyncClient,
    officer: dict[str, str],
    admin: dict[str, str],
    bearer: TokenFactory,
    path: str,
    resource_type: str,
    with_id: bool,
) -> None:
    uscc = await register_enterprise(client, officer, "MA100005")
    reader = bearer("city_officer", region="620100", subject="reader-zhao")
    response = await client.get(URL + path.format(uscc=uscc), headers=reader)
    assert response.status_code == 200, response.text
    [read] = await records(client, admin, actor="reader-zhao")
    assert (read["action"], read["resource_type"]) == ("read", resource_type)
    assert read["resource_id"] == (uscc if with_id else None)
    assert read["actor"]["roles"] == ["city_officer"]


async def test_a_refused_caller_leaves_no_read_record(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str], bearer: TokenFactory
) -> None:
    uscc = await register_enterprise(client, officer, "MA100006")
    bank = bearer("bank", region="620000", subject="bank-1", scopes=("registry:read",))
    assert (await client.get(f"{URL}/enterprises/{uscc}", headers=bank)).status_code == 403
    assert await records(client, admin, actor="bank-1") == []


async def test_the_audit_is_queried_by_time_and_in_pages(
    client: httpx.AsyncClient, officer: dict[str, str], admin: dict[str, str]
) -> None:
    for n in range(3):
        await register_enterprise(client, officer, f"MA10001{n}")
    page = await client.get(
        AUDIT, params={"resource_type": "enterprise", "limit": 2}, headers=admin
    )
    first = page.json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = await client.get(
        AUDIT,
        params={"resource_type": "enterprise", "limit": 2, "cursor": first["next_cursor"]},
        headers=admin,
    )
    positions = [r["position"] for r in first["items"] + rest.json()["items"]]
    assert len(positions) == 3 and positions == sorted(positions)
    later = await client.get(AUDIT, params={"from": "2999-01-01T00:00:00Z"}, headers=admin)
    assert later.json()["items"] == []


@pytest.mark.parametrize(
    ("role", "region", "scopes", "status"),
    [
        ("platform_admin", None, (), 200),
        ("province_officer", "620000", (), 200),
        ("agency_system", "620000", ("registry:audit",), 200),
        ("agency_system", "620000", ("registry:read", "registry:write"), 403),
        ("city_officer", "620100", (), 403),
        ("county_officer", "620102", (), 403),
        ("bank", "620000", ("registry:audit",), 403),
        ("expert", None, (), 403),
    ],
)
async def test_only_the_province_the_admin_and_audit_clients_query_the_audit(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    role: str,
    region: str | None,
    scopes: tuple[str, ...],
    status: int,
) -> None:
    assert (await client.get(AUDIT)).status_code == 401
    headers = bearer(role, region=region, scopes=scopes)
    response = await client.get(AUDIT, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize("cursor", ["abc", "1" * 19, "-1"])
async def test_a_bad_audit_cursor_is_a_422(
    client: httpx.AsyncClient, admin: dict[str, str], cursor: str
) -> None:
    response = await client.get(AUDIT, params={"cursor": cursor}, headers=admin)
    assert response.status_code == 422


async def test_an_import_audits_the_job_and_every_row_it_wrote(
    database_factory: DatabaseFactory, auth_dir: Path, tmp_path: Path, bearer: TokenFactory
) -> None:
    importer = bearer("province_officer", region="620000", subject="importer-9")
    admin = bearer("platform_admin", subject="admin-li")
    a, b = (make_uscc(region="620102", body=f"MA20000{n}") for n in (1, 2))
    content = (
        "\ufeffuscc,name,region_code,legal_representative\r\n"
        f"{a},导入甲,620102,王五\r\n{b},导入乙,620102,赵六\r\n"
    ).encode()
    async with bulk_client(database_factory, auth_dir, tmp_path) as client:
        started = await client.post(
            f"{URL}/imports", headers=importer, files={"file": ("e.csv", content)}
        )
        assert started.status_code == 202, started.text
        job_id = started.json()["id"]
        for _ in range(200):
            job = (await client.get(started.headers["location"], headers=importer)).json()
            if job["status"] not in ("queued", "running"):
                break
            await asyncio.sleep(0.05)
        assert job["status"] == "completed", job
        by_importer = await records(client, admin, actor="importer-9", limit="500")
        rows = {(r["resource_type"], r["resource_id"], r["action"]) for r in by_importer}
        assert {("enterprise", a, "insert"), ("enterprise", b, "insert")} <= rows
        assert ("import_job", job_id, "insert") in rows
        [row_a] = [r for r in by_importer if r["resource_id"] == a]
        assert row_a["after"]["legal_representative"] == "王五"


async def test_an_import_run_by_a_worker_names_the_jobs_owner(
    database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    url = database_factory.create("audit_worker", "sme_registry")
    load_reference_data(url)
    database = Database.from_url(url, role="sme_app")
    uscc = make_uscc(region="620102", body="MA300001")
    owner = Principal(subject="owner-7", roles=frozenset({"province_officer"}), region="620000")
    settings = Settings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        run_workers=False,
        import_dir=tmp_path / "imports",
        import_poll_interval_s=0.1,
    )
    upload = tmp_path / "e.csv"
    upload.write_bytes(f"uscc,name,region_code\r\n{uscc},工作进程,620102\r\n".encode())
    try:
        job = await bulk_service.queue_file(database, path=upload, settings=settings, actor=owner)
        # As a worker runs it: no request, so no actor in the context.
        stop = asyncio.Event()
        worker = asyncio.create_task(
            import_workers(settings, database, stop), context=contextvars.Context()
        )
        for _ in range(200):
            status = (await bulk_service.get_job(database, job_id=job.id, actor=owner)).status
            if status not in ("queued", "running"):
                break
            await asyncio.sleep(0.05)
        stop.set()
        await worker
        assert status == "completed"
        async with database.engine.connect() as connection:
            actors = (
                await connection.execute(
                    text("SELECT DISTINCT actor_subject FROM audit_record WHERE resource_id = :u"),
                    {"u": uscc},
                )
            ).scalars()
            assert list(actors) == ["owner-7"]
    finally:
        await database.dispose()


async def test_concurrent_reads_are_each_recorded_with_their_own_reader(
    database_factory: DatabaseFactory, auth_dir: Path, tmp_path: Path, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000", subject="writer-1")
    async with bulk_client(database_factory, auth_dir, tmp_path) as client:
        uscc = await register_enterprise(client, officer, "MA400001")
        readers = [bearer("city_officer", region="620100", subject=f"r{n}") for n in range(12)]
        responses = await asyncio.gather(
            *(
                client.get(f"{URL}/enterprises/{uscc}", headers={**h, "X-Request-Id": f"q{n}"})
                for n, h in enumerate(readers)
            )
        )
        assert [r.status_code for r in responses] == [200] * 12
        database = client.app.state.database  # type: ignore[attr-defined]
        async with database.engine.connect() as connection:
            reads = (
                await connection.execute(
                    text(
                        "SELECT actor_subject, request_id FROM audit_record "
                        "WHERE action = 'read' AND resource_id = :u"
                    ),
                    {"u": uscc},
                )
            ).all()
        assert sorted(reads) == sorted((f"r{n}", f"q{n}") for n in range(12))
        assert (await verify_chain(database)).ok
