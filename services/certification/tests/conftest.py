from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_certification.app import create_app
from sme_certification.config import Settings
from sme_common.clock import FixedClock, use_clock
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, isolated_database


@pytest.fixture(scope="session")
def certification_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("certification", "sme_certification")


@pytest.fixture
def business_clock() -> Iterator[FixedClock]:
    """10 June 2026, 10:00 in Beijing: inside the June filing window the tests' batches use."""
    with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest_asyncio.fixture
async def client(
    certification_database_url: str,
    auth_dir: Path,
    business_clock: FixedClock,
    tmp_path: Path,
) -> AsyncIterator[httpx.AsyncClient]:
    """The certification API on an isolated transaction (rolled back after the test); no
    workers."""
    settings = Settings(
        database_url=certification_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        evidence_dir=tmp_path / "evidence",
    )
    async for database in isolated_database(certification_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://certification") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
