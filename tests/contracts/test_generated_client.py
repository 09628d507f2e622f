"""Clients generated from the services' OpenAPI documents (openapi-python-client, as an
integrator would) work against the services, used as their callers use them:

- registry: an agency registers enterprises, meets a 409 and a 422 as typed ``Problem`` values
  and pages a search;
- finance-matching: a bank with an OAuth2 client-credentials token from the platform's issuer
  pulls a snapshot, verifies its manifest's Ed25519 signature and the SHA-256 of the content,
  acknowledges it, follows the deltas after its cursor, acknowledges them and reports a loan
  (twice: one report);
- complaints: the 12345 hotline files a work order (twice: one case; other content under the same
  number is a typed 409), polls the case with its ``ETag``, reads its steps and its payment terms;
- certification and funding: their clients are generated too (every operation, no warning).

The generator runs with ``--fail-on-warning`` and the clients with ``raise_on_unexpected_status``:
an operation the generator cannot read, or an answer the document does not declare, fails here.
Its configuration is what an integrator writes once: the binary media types the services serve
(PDF, images, NDJSON, XLSX) are read as bytes (``content_type_overrides``), which is how the
generator reads any type it does not know.

Each client is generated once per module (≈ 2–5 s each on the 2-core test machine, most of it
the generator's own start-up and templates), the services run in this process over
``httpx.ASGITransport`` on an isolated (rolled-back) database.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import FastAPI

from sme_common.auth.cli import CLIENTS_FILE
from sme_common.auth.issuer import RegisteredClient, create_issuer_app, hash_secret, save_client
from sme_common.auth.keys import SIGNING_KEY_FILE
from sme_common.clock import FixedClock, use_clock
from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import record_registered_enterprise
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_embedded.platform import SERVICES
from sme_finance_matching.certified.consumers import certificates_consumer
from sme_registry.reference.service import load_reference_data

# What an integrator puts in the generator's configuration once: the generator reads
# application/octet-stream as bytes and skips media types it does not know, so the binary ones
# the services serve are mapped to it.
BINARY_MEDIA_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "application/x-ndjson",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
GENERATION_SECONDS: dict[str, float] = {}


def package_name(service: str) -> str:
    return f"sme_{service.replace('-', '_')}_client"


def service_module(service: str) -> Any:
    return next(m for m in SERVICES if m.definition.name == service)


def openapi_document(service: str, auth_dir: Path) -> dict[str, Any]:
    """The document the service serves at ``/api/<service>/openapi.json``."""
    module = service_module(service)
    settings = module.settings_class(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none",
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    document: dict[str, Any] = module.create_app(settings).openapi()
    return document


def start_generator(document: dict[str, Any], directory: Path, package: str) -> Any:
    """Run the generator's CLI on the document, as an integrator would (in the background)."""
    directory.mkdir()
    (directory / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    config = {
        "package_name_override": package,
        "post_hooks": [],
        "content_type_overrides": dict.fromkeys(BINARY_MEDIA_TYPES, "application/octet-stream"),
    }
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(directory / "openapi.json"),
            "--config",
            str(directory / "config.json"),
            "--meta",
            "none",
            "--output-path",
            str(directory / package),
            "--fail-on-warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class GeneratedClients:
    """Every service's client, generated once per module: the generators run side by side in
    the background from the start, and a test waits only for the one it uses."""

    def __init__(self, root: Path, auth_dir: Path, services: list[str]) -> None:
        self.root = root
        self.started = time.monotonic()
        self.running = {
            service: start_generator(
                openapi_document(service, auth_dir), root / service, package_name(service)
            )
            for service in services
        }
        self.ready: set[str] = set()

    def __call__(self, service: str) -> Callable[[str], ModuleType]:
        """``api = clients("complaints"); api("api.cases.create_case")``."""
        if service not in self.ready:
            process = self.running[service]
            output, _ = process.communicate(timeout=300)
            GENERATION_SECONDS.setdefault(service, time.monotonic() - self.started)
            assert process.returncode == 0, output
            sys.path.insert(0, str(self.root / service))
            self.ready.add(service)
        package = package_name(service)
        return lambda name: importlib.import_module(f"{package}.{name}")

    def close(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.kill()
            process.communicate()
        for service in self.ready:
            sys.path.remove(str(self.root / service))
            package = package_name(service)
            for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
                del sys.modules[name]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory, auth_dir: Path) -> Iterator[GeneratedClients]:
    services = ["registry", "finance-matching", "complaints", "certification", "funding"]
    generated = GeneratedClients(tmp_path_factory.mktemp("generated_clients"), auth_dir, services)
    try:
        yield generated
    finally:
        generated.close()
        print(  # noqa: T201 (how long until each client was ready, in the -rA / -s output)
            "clients generated after (s): "
            + ", ".join(f"{name} {seconds:.1f}" for name, seconds in GENERATION_SECONDS.items())
        )


def asgi_client(api: Callable[[str], ModuleType], app: FastAPI, token: str | None) -> Any:
    """The generated client, reaching the app in this process; ``token`` None: unauthenticated."""
    module = api("client")
    options = {
        "base_url": "http://platform",
        "raise_on_unexpected_status": True,
        "httpx_args": {"transport": httpx.ASGITransport(app=app)},
    }
    if token is None:
        return module.Client(**options)
    return module.AuthenticatedClient(token=token, **options)


def bearer_token(bearer: TokenFactory, *roles: str, **claims: Any) -> str:
    return bearer(*roles, **claims)["Authorization"].removeprefix("Bearer ")


# --- registry ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("generated_client", "sme_registry")
    load_reference_data(url)
    return url


@pytest_asyncio.fixture
async def registry_app(registry_url: str, auth_dir: Path) -> AsyncIterator[FastAPI]:
    async for app in service_on_isolated_database("registry", registry_url, auth_dir):
        yield app


async def service_on_isolated_database(
    service: str, url: str, auth_dir: Path
) -> AsyncIterator[FastAPI]:
    module = service_module(service)
    settings = module.settings_class(
        database_url=url,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(url):
        yield module.create_app(settings, database=database)


async def test_a_generated_client_registers_meets_typed_errors_and_pages_a_search(
    registry_app: FastAPI, clients: GeneratedClients, bearer: TokenFactory
) -> None:
    api = clients("registry")
    models = api("models")
    register = api("api.enterprises.register_enterprise")
    search = api("api.enterprises.search_enterprises")
    token = bearer_token(bearer, "province_officer", region="620000")
    usccs = [make_uscc(region="620102", body=f"MG00000{n}") for n in range(1, 4)]
    async with asgi_client(api, registry_app, token) as client:
        for n, uscc in enumerate(usccs):
            body = models.EnterpriseCreate(
                uscc=uscc, name=f"生成客户端企业{n}", region_code="620102"
            )
            created = await register.asyncio_detailed(
                client=client, body=body, idempotency_key=f"gen-{n}"
            )
            assert created.status_code == 201, created.content
            assert isinstance(created.parsed, models.EnterpriseRead)
            assert created.parsed.uscc == uscc
            assert created.headers["location"].endswith(f"/enterprises/{uscc}")

        duplicate = await register.asyncio_detailed(
            client=client,
            body=models.EnterpriseCreate(uscc=usccs[0], name="重复企业", region_code="620102"),
        )
        assert duplicate.status_code == 409
        assert isinstance(duplicate.parsed, models.Problem)
        assert duplicate.parsed.code == "enterprise_exists"
        assert duplicate.parsed.detail_zh

        bad_check_digit = usccs[0][:-1] + ("0" if usccs[0][-1] != "0" else "1")
        invalid = await register.asyncio_detailed(
            client=client,
            body=models.EnterpriseCreate(
                uscc=bad_check_digit, name="校验位错", region_code="620102"
            ),
        )
        assert invalid.status_code == 422
        assert isinstance(invalid.parsed, models.Problem)
        assert invalid.parsed.code == "uscc_invalid"
        assert invalid.parsed.field == "uscc"

        seen: list[str] = []
        cursor: Any = None
        pages = 0
        while True:
            kwargs = {"cursor": cursor} if cursor else {}
            page = await search.asyncio(client=client, q="生成客户端", limit=2, **kwargs)
            assert isinstance(page, models.EnterprisePage)
            seen.extend(item.uscc for item in page.items)
            pages += 1
            cursor = page.next_cursor
            if not isinstance(cursor, str):
                break
        assert pages == 2
        assert sorted(seen) == sorted(usccs)

        read = await api("api.enterprises.get_enterprise").asyncio_detailed(usccs[0], client=client)
        assert read.status_code == 200 and isinstance(read.parsed, models.EnterpriseRead)
        assert read.headers["etag"] == f'"{read.parsed.version}"'


# --- finance-matching: a bank ---------------------------------------------------------------------

FINANCE_SCOPES = ("finance:read", "finance:write")
BANK_USCC = make_uscc(region="620100", body="GCBANK01")
LISTED = make_uscc(region="620102", body="GCLT0001")
REVOKED = make_uscc(region="620102", body="GCLT0002")
LATER = make_uscc(region="620102", body="GCLT0003")


@pytest.fixture
def november_2026() -> Iterator[FixedClock]:
    with use_clock(FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest.fixture(scope="module")
def finance_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("generated_finance", "sme_finance_matching")


@pytest_asyncio.fixture
async def finance_app(
    finance_url: str, auth_dir: Path, november_2026: FixedClock
) -> AsyncIterator[FastAPI]:
    async for app in service_on_isolated_database("finance-matching", finance_url, auth_dir):
        yield app


@pytest.fixture
def issuer(auth_dir: Path, tmp_path: Path) -> tuple[FastAPI, Path]:
    """The platform's token endpoint (``/api/auth/v1/token``, as the embedded platform mounts
    it), signing with the test key and reading its own clients file."""
    clients_file = tmp_path / CLIENTS_FILE
    app = create_issuer_app(
        signing_key_file=auth_dir / SIGNING_KEY_FILE,
        clients_file=clients_file,
        issuer="sme-platform",
        audience="sme-platform",
    )
    return app, clients_file


async def client_credentials_token(
    issuer: tuple[FastAPI, Path], client_id: str, roles: tuple[str, ...], scopes: tuple[str, ...]
) -> str:
    """The operator registers the client (``sme-token add-client``); the caller's system then
    asks for a token: RFC 6749 §4.4 with HTTP Basic client authentication."""
    app, clients_file = issuer
    secret = secrets.token_urlsafe(24)
    save_client(
        clients_file,
        RegisteredClient(
            client_id=client_id, secret_sha256=hash_secret(secret), roles=roles, scopes=scopes
        ),
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://platform"
    ) as http:
        answer = await http.post(
            "/api/auth/v1/token",
            data={"grant_type": "client_credentials", "scope": " ".join(scopes)},
            auth=(client_id, secret),
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    token: str = answer.json()["access_token"]
    return token


async def certification_published(
    database: Database, event_type: str, data: dict[str, Any]
) -> None:
    """What certification's and registry's events put in finance-matching (its consumers'
    handlers): the bank's API knows nothing else."""
    async with UnitOfWork(database) as uow:
        if event_type == "registry.enterprise.registered.v1":
            await record_registered_enterprise(
                uow,
                CloudEvent(
                    type=event_type, source="/sme/registry", subject=data["uscc"], data=data
                ),
            )
        else:
            await certificates_consumer.handlers[event_type](
                uow,
                CloudEvent(
                    type=event_type, source="/sme/certification", subject=data["uscc"], data=data
                ),
            )
        await uow.commit()


async def certified(database: Database, uscc: str, certificate_id: str) -> None:
    await certification_published(
        database,
        "registry.enterprise.registered.v1",
        {
            "uscc": uscc,
            "name": f"生成客户端融资企业{uscc[-3:]}",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "industry_code": "C3484",
            "operating_status": "operating",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": 1,
        },
    )
    await certification_published(
        database,
        "certification.certificate.granted.v1",
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": "specialised",
            "level": "provincial",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
        },
    )


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def test_a_bank_pulls_verifies_follows_and_reports_with_a_generated_client(
    finance_app: FastAPI,
    clients: GeneratedClients,
    bearer: TokenFactory,
    issuer: tuple[FastAPI, Path],
) -> None:
    api = clients("finance-matching")
    models = api("models")
    database: Database = finance_app.state.database
    client_id = f"gcbank-{secrets.token_hex(3)}"

    # The province registers the bank with its client (officer's token).
    province = bearer_token(bearer, "province_officer", region="620000")
    async with asgi_client(api, finance_app, province) as officer:
        institution = await api("api.institutions.create_institution").asyncio(
            client=officer,
            body=models.InstitutionCreate.from_dict(
                {
                    "kind": "bank",
                    "name": "甘肃生成客户端银行",
                    "uscc": BANK_USCC,
                    "province_code": "620000",
                    "region_codes": ["620100"],
                    "tiers": ["specialised"],
                    "client_ids": [client_id],
                }
            ),
        )
        assert isinstance(institution, models.InstitutionRead), institution
    await certified(database, LISTED, "cert_gc_listed")
    await certified(database, REVOKED, "cert_gc_revoked")

    token = await client_credentials_token(issuer, client_id, ("bank",), FINANCE_SCOPES)
    async with (
        asgi_client(api, finance_app, token) as bank,
        asgi_client(api, finance_app, None) as public,
    ):
        product = await api("api.products.create_product").asyncio(
            client=bank,
            body=models.ProductCreate.from_dict(
                {
                    "name": "生成客户端专精特新贷",
                    "product_type": "credit_loan",
                    "min_amount_fen": 10_000_000,
                    "max_amount_fen": 500_000_000,
                    "min_rate_ratio": "0.0300",
                    "max_rate_ratio": "0.0450",
                    "min_term_months": 6,
                    "max_term_months": 36,
                    "eligible_tiers": ["specialised"],
                    "status": "active",
                }
            ),
        )
        assert isinstance(product, models.ProductRead), product
        assert product.institution_id == institution.id

        # The snapshot: manifest, signature checked with the public key, content checksummed.
        snapshot = await api("api.lists.create_list_snapshot").asyncio(
            client=bank, body=models.SnapshotCreate()
        )
        assert isinstance(snapshot, models.SnapshotRead), snapshot
        manifest = snapshot.manifest
        assert (manifest.institution_id, manifest.entry_count) == (institution.id, 2)
        keys = await api("api.lists.list_list_signing_keys").asyncio(client=public)
        assert isinstance(keys, models.SigningKeys), keys
        [key] = [k for k in keys.keys if k.kid == manifest.key_id]
        assert (key.kty, key.crv, key.alg) == ("OKP", "Ed25519", "EdDSA")
        Ed25519PublicKey.from_public_bytes(b64url(key.x)).verify(
            b64url(snapshot.signature), snapshot.manifest_canonical.encode()
        )
        assert json.loads(snapshot.manifest_canonical) == manifest.to_dict()
        read_content = api("api.lists.read_list_snapshot")
        ndjson = await read_content.asyncio(snapshot.id, client=bank, format_=models.Format.NDJSON)
        assert isinstance(ndjson, api("types").File), ndjson
        canonical = ndjson.payload.read()
        assert hashlib.sha256(canonical).hexdigest() == manifest.content_sha256
        lines = [json.loads(line) for line in canonical.decode().splitlines()]
        assert [r["uscc"] for r in lines if r["record"] == "enterprise"] == sorted(
            [LISTED, REVOKED]
        )
        # The same entries as one JSON document, in the shape the document declares.
        as_json = await read_content.asyncio(snapshot.id, client=bank, format_=models.Format.JSON)
        document = models.SnapshotContent.from_dict(json.loads(as_json.payload.read()))
        assert document.signature == snapshot.signature
        assert [e.uscc for e in document.enterprises] == sorted([LISTED, REVOKED])
        assert [p.id for p in document.products] == [product.id]
        assert [e.issued_on for e in document.enterprises] == [date(2026, 1, 10)] * 2
        acknowledged = await api("api.lists.acknowledge_list_snapshot").asyncio(
            snapshot.id, client=bank
        )
        assert isinstance(acknowledged, models.SnapshotRead) and acknowledged.acknowledged_at

        # A revocation and a new certificate: the deltas after the snapshot's cursor.
        await certification_published(
            database,
            "certification.certificate.revoked.v1",
            {
                "certificate_id": "cert_gc_revoked",
                "uscc": REVOKED,
                "tier": "specialised",
                "revoked_on": "2026-11-26",
                "reason": "虚假申报",
                "reason_code": "false_declaration",
            },
        )
        await certified(database, LATER, "cert_gc_later")
        deltas = api("api.lists.list_list_deltas")
        page = await deltas.asyncio(client=bank)
        assert isinstance(page, models.DeltaPage), page
        assert page.cursor == manifest.cursor and page.has_more is False
        assert sorted((c.kind, c.uscc) for c in page.changes) == sorted(
            [(models.DeltaChangeKind.REVOKED, REVOKED), (models.DeltaChangeKind.ADDED, LATER)]
        )
        assert all(isinstance(c.issued_on, date) for c in page.changes)
        moved = await api("api.lists.acknowledge_list_deltas").asyncio(
            client=bank, body=models.DeltaAck(cursor=page.next_cursor)
        )
        assert isinstance(moved, models.CursorRead) and moved.cursor == page.next_cursor
        again = await deltas.asyncio(client=bank)
        assert isinstance(again, models.DeltaPage)
        assert again.changes == [] and again.cursor == page.next_cursor
        stale = await deltas.asyncio_detailed(client=bank, cursor="not-a-cursor")
        assert stale.status_code == 422 and isinstance(stale.parsed, models.Problem)
        assert stale.parsed.code == "cursor_invalid"

        # A granted loan, reported twice (a retry): one report.
        report = api("api.feedback.report_feedback")
        body = models.FeedbackCreate.from_dict(
            {
                "external_id": "GCB-2026-0001",
                "uscc": LISTED,
                "product_id": product.id,
                "outcome": "granted",
                "outcome_on": "2026-11-26",
                "amount_fen": 300_000_000,
                "annual_rate_ratio": "0.0350",
                "term_months": 24,
                "first_time_borrower": True,
            }
        )
        first = await report.asyncio_detailed(client=bank, body=body)
        assert first.status_code == 201 and isinstance(first.parsed, models.FeedbackRead)
        retried = await report.asyncio_detailed(client=bank, body=body)
        assert retried.status_code == 200 and isinstance(retried.parsed, models.FeedbackRead)
        assert retried.parsed.id == first.parsed.id
        read = await api("api.feedback.get_feedback").asyncio(first.parsed.id, client=bank)
        assert isinstance(read, models.FeedbackRead) and read.institution_id == institution.id

        missing = await api("api.lists.get_list_snapshot").asyncio_detailed(
            "snap_0000000000000000", client=bank
        )
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
        assert missing.parsed.code == "snapshot_not_found"


# --- complaints: the 12345 hotline ----------------------------------------------------------------

COMPLAINT_SCOPES = ("complaints:read", "complaints:write")
COMPLAINANT = make_uscc(region="620102", body="GCCP0001")


@pytest.fixture
def september_2026() -> Iterator[FixedClock]:
    """Wednesday 23 September 2026, 10:00 in Beijing."""
    with use_clock(FixedClock(datetime(2026, 9, 23, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest.fixture(scope="module")
def complaints_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("generated_complaints", "sme_complaints")


@pytest_asyncio.fixture
async def complaints_app(
    complaints_url: str, auth_dir: Path, september_2026: FixedClock
) -> AsyncIterator[FastAPI]:
    async for app in service_on_isolated_database("complaints", complaints_url, auth_dir):
        yield app


def work_order(number: str, owed_fen: int = 60_000_000) -> dict[str, Any]:
    return {
        "category_code": "overdue_goods",
        "work_order_no": number,
        "complainant": {
            "uscc": COMPLAINANT,
            "name": "兰州生成客户端机械有限公司",
            "size_class": "small",
            "contact": {"name": "王五", "phone": "13900000000"},
        },
        "respondent": {
            "name": "兰州某某区住房和城乡建设局",
            "type": "government_body",
            "region_code": "620102",
        },
        "contract": {
            "signed_on": "2025-07-01",
            "subject": "goods",
            "amount_fen": 120_000_000,
            "delivered_on": "2025-08-01",
        },
        "amount_owed_fen": owed_fen,
        "other_proceedings": {"seized": False},
        "evidence": [{"kind": "contract", "title": "采购合同"}],
    }


async def test_the_hotline_files_polls_and_reads_payment_terms_with_a_generated_client(
    complaints_app: FastAPI,
    clients: GeneratedClients,
    issuer: tuple[FastAPI, Path],
) -> None:
    api = clients("complaints")
    models = api("models")
    client_id = f"gansu-12345-{secrets.token_hex(3)}"
    token = await client_credentials_token(issuer, client_id, ("hotline",), COMPLAINT_SCOPES)
    async with asgi_client(api, complaints_app, token) as hotline:
        categories = await api("api.categories.list_categories").asyncio(client=hotline)
        assert "overdue_goods" in {c.code for c in categories.items}, categories

        # The same work order twice (the hotline re-sends after a timeout): one case.
        file = api("api.cases.create_case")
        body = models.CaseCreate.from_dict(work_order("GS12345-20260923-0001"))
        filed = await file.asyncio_detailed(client=hotline, body=body)
        assert filed.status_code == 201 and isinstance(filed.parsed, models.CaseRead), filed
        case = filed.parsed
        assert case.status == models.CaseStatus.RECEIVED
        assert filed.headers["etag"] == f'"{case.version}"'
        again = await file.asyncio_detailed(client=hotline, body=body)
        assert again.status_code == 200 and isinstance(again.parsed, models.CaseRead)
        assert again.parsed.id == case.id
        other = await file.asyncio_detailed(
            client=hotline,
            body=models.CaseCreate.from_dict(work_order("GS12345-20260923-0001", 50_000_000)),
        )
        assert other.status_code == 409 and isinstance(other.parsed, models.Problem)
        assert other.parsed.code == "work_order_conflict" and other.parsed.detail_zh

        # Polling the case: its ETag, then a 304 while nothing changed.
        get_case = api("api.cases.get_case")
        polled = await get_case.asyncio_detailed(case.id, client=hotline)
        assert polled.status_code == 200 and isinstance(polled.parsed, models.CaseRead)
        assert polled.parsed.id == case.id and polled.parsed.status == models.CaseStatus.RECEIVED
        # What was filed, typed as it was sent.
        assert polled.parsed.contract.delivered_on == date(2025, 8, 1)
        assert polled.parsed.contract.subject == models.ContractSubject.GOODS
        assert [e.kind for e in polled.parsed.evidence] == [models.EvidenceKind.CONTRACT]
        assert polled.parsed.other_proceedings.seized is False
        unchanged = await get_case.asyncio_detailed(
            case.id, client=hotline, if_none_match=polled.headers["etag"]
        )
        assert unchanged.status_code == 304
        listed = await api("api.cases.list_cases").asyncio(client=hotline)
        assert [c.id for c in listed.items] == [case.id]
        steps = await api("api.cases.list_case_steps").asyncio(case.id, client=hotline)
        assert [s.to_status for s in steps.items] == [models.CaseStatus.RECEIVED], steps

        # The payment terms the regulation gives the complainant, on a day the caller picks.
        terms = await api("api.payment_terms.get_case_payment_terms").asyncio(
            case.id, client=hotline, as_of=date(2025, 10, 15)
        )
        assert isinstance(terms, models.CasePaymentTerms), terms
        assert terms.determined is True and terms.as_of == date(2025, 10, 15)
        evaluation = terms.evaluation
        assert isinstance(evaluation, models.PaymentTermsEvaluation), terms
        # 30 days from delivery (2025-08-01) end on Sunday 31 August: due Monday 1 September;
        # 44 days late at 0.05 % a day on 60 000 000 fen (docs/complaints.md, worked figures).
        assert (evaluation.due_on, evaluation.days_overdue) == (date(2025, 9, 1), 44)
        assert evaluation.interest_fen == 1_320_000

        unknown = await get_case.asyncio_detailed("case_0000000000000000", client=hotline)
        assert unknown.status_code == 404 and isinstance(unknown.parsed, models.Problem)
        assert unknown.parsed.code == "case_not_found"


# --- certification and funding: generated without a warning --------------------------------------


@pytest.mark.parametrize("service", ["certification", "funding"])
def test_every_operation_of_the_service_is_in_its_generated_client(
    service: str, clients: GeneratedClients, auth_dir: Path
) -> None:
    api = clients(service)
    document = openapi_document(service, auth_dir)
    expected = {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    }
    package = api("api").__file__
    assert package is not None
    generated = {m.stem for m in Path(package).parent.glob("*/*.py") if m.stem != "__init__"}
    assert expected <= generated, sorted(expected - generated)


def test_a_generated_funding_client_reads_the_payment_batch_export_as_csv(
    clients: GeneratedClients,
) -> None:
    """The paying bank's file is CSV; the client hands it over as text (it parsed it as JSON
    while the document also offered an empty JSON answer)."""
    api = clients("funding")
    export = api("api.payments.export_payment_batch")
    body = "\ufeffline,uscc,amount_fen\r\n1,91620102MA00001038,30000000\r\nTOTAL,,30000000\r\n"
    parsed = export._parse_response(
        client=api("client").Client(base_url="http://platform"),
        response=httpx.Response(200, text=body, headers={"content-type": "text/csv"}),
    )
    assert parsed == body
