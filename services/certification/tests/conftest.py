from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from services.certification.tests.certificate_support import certification, settings_for
from sme_common.testing.plugin import DatabaseFactory


@pytest.fixture(scope="session")
def certification_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("certification", "sme_certification")


@pytest_asyncio.fixture
async def client(
    certification_database_url: str, auth_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The certification API on an isolated transaction (rolled back after the test); no workers."""
    async with certification(settings_for(certification_database_url, auth_dir)) as client:
        yield client
