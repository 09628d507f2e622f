"""Builders for certificate tests: the certification API on an isolated transaction, enterprises
in its directory, and the events its outbox holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import select

from sme_certification.app import create_app
from sme_certification.config import Settings
from sme_common.clock import BUSINESS_TIMEZONE, FixedClock
from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import record_registered_enterprise
from sme_common.events.envelope import CloudEvent
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import isolated_database

URL = "/api/certification/v1"


def settings_for(url: str, auth_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        **overrides,
    )


@asynccontextmanager
async def certification(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for database in isolated_database(settings.database_url.get_secret_value()):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            client.app = app  # type: ignore[attr-defined]
            yield client


def database_of(client: httpx.AsyncClient) -> Database:
    return client.app.state.database  # type: ignore[attr-defined, no-any-return]


def at_noon(day: date) -> FixedClock:
    """The business clock standing at noon, Asia/Shanghai, on ``day``."""
    return FixedClock(datetime.combine(day, time(12), tzinfo=BUSINESS_TIMEZONE).astimezone(UTC))


async def add_enterprise(
    client: httpx.AsyncClient,
    body: str,
    *,
    name: str = "兰州示例精密科技有限公司",
    region: str = "620102",
    unit: str = "620100",
) -> str:
    """An enterprise in the certification directory, as registry's event would put it there."""
    uscc = make_uscc(region=region, body=body)
    async with UnitOfWork(database_of(client)) as uow:
        await record_registered_enterprise(
            uow,
            CloudEvent(
                type="registry.enterprise.registered.v1",
                source="/sme/registry",
                subject=uscc,
                data={
                    "uscc": uscc,
                    "name": name,
                    "region_code": region,
                    "reporting_unit_code": unit,
                    "operating_status": "operating",
                    "registered_at": "2025-01-02T08:00:00+00:00",
                    "version": 1,
                },
            ),
        )
        await uow.commit()
    return uscc


async def outbox_events(
    client: httpx.AsyncClient, event_type: str | None = None
) -> list[CloudEvent]:
    """The events written so far, in order, read back as a consumer reads them."""
    query = select(outbox_message).order_by(outbox_message.c.id)
    if event_type is not None:
        query = query.where(outbox_message.c.event_type == event_type)
    async with database_of(client).sessionmaker() as session:
        rows = (await session.execute(query)).all()
    return [
        CloudEvent.from_kafka([(k, v.encode()) for k, v in row.headers], row.payload)
        for row in rows
    ]


@pytest_asyncio.fixture(name="client")
async def client_on_the_real_clock(
    certification_database_url: str, auth_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The certification API without conftest's fixed June clock: the certificate tests set the
    business clock themselves where a date matters (imported by their modules, it overrides
    ``client``)."""
    async with certification(settings_for(certification_database_url, auth_dir)) as client:
        yield client
