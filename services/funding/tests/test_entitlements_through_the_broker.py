"""Through a real Kafka-protocol broker (Tansu): certification's grant, sent twice (a producer's
retry), reaches ``funding.certificates`` and creates one entitlement and one created event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import func, select

from services.funding.tests.entitlement_support import (
    WAN,
    created_events,
    entitlements_of,
    granted,
    known_enterprise,
)
from sme_common.clock import FixedClock, use_clock
from sme_common.db import Database
from sme_common.events.consumer import ConsumerRunner
from sme_common.events.tables import inbox_message
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests
from sme_funding.entitlements.consumers import CERTIFICATE_TOPIC, certificates_consumer


@pytest.fixture
async def database(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database.from_url(database_factory.create("funding_broker", "sme_funding"))
    yield db
    await db.dispose()


async def test_a_grant_sent_twice_through_the_broker_gives_one_entitlement(
    database: Database, kafka_bootstrap: str
) -> None:
    kafka: KafkaSettings = kafka_settings_for_tests(kafka_bootstrap)
    with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))):
        uscc = await known_enterprise(database, "BK000001")
        event = granted(uscc, "cert_bk01")
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
        await producer.start()
        try:
            for _ in range(2):
                await producer.send(
                    kafka.topic(CERTIFICATE_TOPIC),
                    value=event.body(),
                    key=uscc.encode(),
                    headers=event.kafka_headers(),
                )
            await producer.flush()
        finally:
            await producer.stop()

        runner = ConsumerRunner(spec=certificates_consumer, database=database, kafka=kafka)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        try:
            for _ in range(300):  # up to a minute for the group to join and the poll
                if await _inbox_rows(database) >= 1 and await entitlements_of(database, uscc):
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # the duplicate, if it were applied, would land now
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)

    [entitlement] = await entitlements_of(database, uscc)
    assert (entitlement.amount_fen, entitlement.status) == (30 * WAN, "pending_approval")
    assert len(await created_events(database)) == 1
    assert await _inbox_rows(database) == 1


async def _inbox_rows(database: Database) -> int:
    query = select(func.count()).where(inbox_message.c.consumer == "funding.certificates")
    async with database.sessionmaker() as session:
        return int(await session.scalar(query) or 0)
