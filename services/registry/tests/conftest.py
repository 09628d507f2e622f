from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, isolated_database
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
