"""A client generated from the registry's OpenAPI document (openapi-python-client, as an
integrator would) works against the registry: it registers an enterprise, meets a 409 and a 422 as
typed ``Problem`` values, and pages a search.

The generator runs with ``--fail-on-warning`` and the client with ``raise_on_unexpected_status``:
an operation the generator cannot read, or an answer the document does not declare, fails here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_registry.app import create_app
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data

PACKAGE = "sme_registry_client"


@pytest.fixture(scope="module")
def registry_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("generated_client", "sme_registry")
    load_reference_data(url)
    return url


@pytest_asyncio.fixture
async def app(registry_url: str, auth_dir: Path) -> AsyncIterator[FastAPI]:
    settings = Settings(
        database_url=registry_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(registry_url):
        yield create_app(settings, database=database)


def generate_client(document: dict[str, Any], directory: Path) -> None:
    """Run the generator's CLI on the document, as an integrator would."""
    (directory / "openapi.json").write_text(json.dumps(document), encoding="utf-8")
    (directory / "config.json").write_text(
        json.dumps({"package_name_override": PACKAGE, "post_hooks": []}), encoding="utf-8"
    )
    result = subprocess.run(
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
            str(directory / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry_url: str, auth_dir: Path
) -> dict[str, ModuleType]:
    settings = Settings(
        database_url=registry_url,  # type: ignore[arg-type]
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    generate_client(create_app(settings).openapi(), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        monkeypatch.delitem(sys.modules, name)
    modules = {
        "client": f"{PACKAGE}.client",
        "models": f"{PACKAGE}.models",
        "register": f"{PACKAGE}.api.enterprises.register_enterprise",
        "search": f"{PACKAGE}.api.enterprises.search_enterprises",
        "get": f"{PACKAGE}.api.enterprises.get_enterprise",
    }
    return {key: importlib.import_module(name) for key, name in modules.items()}


async def test_a_generated_client_registers_meets_typed_errors_and_pages_a_search(
    app: FastAPI, generated: dict[str, ModuleType], bearer: TokenFactory
) -> None:
    models, register, search = generated["models"], generated["register"], generated["search"]
    token = bearer("province_officer", region="620000")["Authorization"].removeprefix("Bearer ")
    client = generated["client"].AuthenticatedClient(
        base_url="http://registry",
        token=token,
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.ASGITransport(app=app)},
    )
    usccs = [make_uscc(region="620102", body=f"MG00000{n}") for n in range(1, 4)]
    async with client as client:
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

        read = await generated["get"].asyncio_detailed(usccs[0], client=client)
        assert read.status_code == 200 and isinstance(read.parsed, models.EnterpriseRead)
        assert read.headers["etag"] == f'"{read.parsed.version}"'
