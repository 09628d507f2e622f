from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_common.clock import FixedClock, use_clock
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, isolated_database
from sme_funding.app import create_app
from sme_funding.config import Settings


@pytest.fixture(scope="session")
def funding_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("funding", "sme_funding")


@pytest.fixture
def business_clock() -> Iterator[FixedClock]:
    """10 June 2026, 10:00 in Beijing."""
    with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest_asyncio.fixture
async def client(
    funding_database_url: str, auth_dir: Path, business_clock: FixedClock, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The funding API on an isolated transaction (rolled back after the test); no workers."""
    settings = Settings(
        database_url=funding_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        evidence_dir=tmp_path / "evidence",
    )
    async for database in isolated_database(funding_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://funding") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
