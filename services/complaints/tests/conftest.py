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
from sme_complaints.app import create_app
from sme_complaints.config import Settings


@pytest.fixture(scope="session")
def complaints_database_url(database_factory: DatabaseFactory) -> str:
    return database_factory.create("complaints", "sme_complaints")


@pytest.fixture
def business_clock() -> Iterator[FixedClock]:
    """Wednesday 23 September 2026, 10:00 in Beijing: a week before the National Day holiday
    (1–7 October, with Sunday 20 September and Saturday 10 October worked)."""
    with use_clock(FixedClock(datetime(2026, 9, 23, 2, 0, tzinfo=UTC))) as fixed:
        assert isinstance(fixed, FixedClock)
        yield fixed


@pytest.fixture
def complaints_settings(complaints_database_url: str, auth_dir: Path) -> Settings:
    return Settings(
        database_url=complaints_database_url,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        callback_http_hosts=["127.0.0.1"],
        callback_backoff_initial_s=10.0,
        callback_backoff_max_s=600.0,
        callback_timeout_s=5.0,
    )


@pytest_asyncio.fixture
async def client(
    complaints_database_url: str, complaints_settings: Settings, business_clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    """The complaints API on an isolated transaction (rolled back after the test); no workers."""
    async for database in isolated_database(complaints_database_url):
        app = create_app(complaints_settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://complaints") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c
