from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_common.clock import FixedClock, use_clock
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, isolated_database
from sme_finance_matching.app import create_app
from sme_finance_matching.config import Settings

# The directory's name has a hyphen, so its helpers are imported by their own module name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def finance_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("finance_matching", "sme_finance_matching")


@pytest.fixture
def business_clock() -> Iterator[FixedClock]:
    """26 November 2026, 10:00 in Beijing."""
    with use_clock(FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest_asyncio.fixture
async def client(
    finance_database_url: str, auth_dir: Path, business_clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The finance-matching API on an isolated transaction (rolled back after the test); no
    workers."""
    settings = Settings(
        database_url=finance_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    async for database in isolated_database(finance_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://finance") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
