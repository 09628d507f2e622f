from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.registry.tests.bulk_support import bulk_settings, registry
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database
from sme_registry.app import create_app
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data


@pytest.fixture(scope="session")
def registry_database_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("registry", "sme_registry")
    load_reference_data(url)
    return url


@pytest_asyncio.fixture
async def client(registry_database_url: str, auth_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The registry API on an isolated transaction (rolled back after the test); no workers."""
    settings = Settings(
        database_url=registry_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(registry_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


@pytest_asyncio.fixture
async def bulk(
    database_factory: DatabaseFactory, auth_dir: Path, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A registry on its own database (import jobs commit), with its import workers running."""
    url = database_factory.create("bulk", "sme_registry")
    load_reference_data(url)
    async with registry(bulk_settings(url, auth_dir, tmp_path)) as client:
        yield client


@pytest.fixture
def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000", subject="importer-1")
