"""The outbox relay on real PostgreSQL and a real broker: order per key, at-least-once across a crash
between send and mark, one active relay per database, and the outbox sent again, at the same feed
positions, to a broker that lost its log (issue 6, defect 13). The loss is simulated by deleting the
relay's topics, which is what a restarted Tansu with memory storage looks like to a client
(tests/fault/test_broker_state_loss.py does it with a real SIGKILL)."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import directory_consumer
from sme_common.events.consumer import ConsumerRunner, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.relay import OutboxRelay, build_producer
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests

TOPIC = "registry.enterprise"


def registered(uscc: str, version: int) -> CloudEvent:
    return CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        subject=uscc,
        data={
            "uscc": uscc,
            "name": f"企业{version}",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": version,
        },
    )


async def write_events(database: Database, events: list[CloudEvent]) -> None:
    for event in events:
        async with UnitOfWork(database) as uow:
            uow.publish(TOPIC, event)
            await uow.commit()


async def read_topic(kafka: KafkaSettings, expected: int) -> list[CloudEvent]:
    consumer = AIOKafkaConsumer(
        kafka.topic(TOPIC),
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    received: list[CloudEvent] = []
    try:
        for _ in range(40):
            batch = await consumer.getmany(timeout_ms=500)
            received += [
                CloudEvent.from_kafka(r.headers, r.value)
                for records in batch.values()
                for r in records
            ]
            if len(received) >= expected:
                break
    finally:
        await consumer.stop()
    return received


@pytest.fixture
def kafka(kafka_bootstrap: str) -> KafkaSettings:
    return kafka_settings_for_tests(kafka_bootstrap)


async def test_events_of_one_key_arrive_in_the_order_they_were_committed(
    database_factory: DatabaseFactory, kafka: KafkaSettings
) -> None:
    database = Database.from_url(database_factory.create("relay", "sme_certification"))
    keys = [make_uscc(body=f"MA00000{n}") for n in range(3)]
    events = [registered(keys[i % 3], version=i // 3 + 1) for i in range(60)]
    await write_events(database, events)
    relay = OutboxRelay(
        service="test", database=database, kafka=kafka, topics=[TOPIC], batch_size=7
    )
    producer = build_producer(kafka)
    await producer.start()
    try:
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()
    received = await read_topic(kafka, len(events))
    by_key: dict[str | None, list[int]] = defaultdict(list)
    for event in received:
        by_key[event.subject].append(event.data["version"])
    assert dict(by_key) == {k: list(range(1, 21)) for k in keys}
    async with database.sessionmaker() as session:
        unpublished = await session.scalar(
            select(func.count()).where(outbox_message.c.published_at.is_(None))
        )
    assert unpublished == 0
    await database.dispose()


class CrashBeforeMark(OutboxRelay):
    """A relay that dies after the broker acknowledged the batch but before marking it."""

    crashed = False

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        if not self.crashed:
            self.crashed = True
            raise ConnectionError("relay process died")
        await super()._mark_published(session, ids)


async def test_a_crash_between_send_and_mark_duplicates_and_the_inbox_absorbs_it(
    database_factory: DatabaseFactory, kafka: KafkaSettings
) -> None:
    database = Database.from_url(database_factory.create("relay", "sme_certification"))
    events = [registered(make_uscc(body=f"MB00000{n}"), 1) for n in range(5)]
    await write_events(database, events)
    relay = CrashBeforeMark(service="test", database=database, kafka=kafka, topics=[TOPIC])
    producer = build_producer(kafka)
    await producer.start()
    try:
        with pytest.raises(ConnectionError):
            await relay.publish_batch(producer)
        assert await relay.publish_batch(producer) == 5
    finally:
        await producer.stop()
    received = await read_topic(kafka, 10)
    assert len(received) == 10, "every event was sent twice: at least once, never lost"
    runner = ConsumerRunner(
        spec=directory_consumer("certification"), database=database, kafka=kafka
    )
    handler = runner.spec.handlers["registry.enterprise.registered.v1"]
    outcomes = [await runner.apply(event, handler) for event in received]
    assert outcomes.count(Outcome.APPLIED) == 5
    assert outcomes.count(Outcome.DUPLICATE) == 5
    async with database.sessionmaker() as session:
        changes = await session.scalar(text("SELECT count(*) FROM enterprise_directory_change"))
    assert changes == 5
    await database.dispose()


async def test_only_one_relay_per_database_is_active(
    database_factory: DatabaseFactory, kafka: KafkaSettings
) -> None:
    database = Database.from_url(database_factory.create("relay", "sme_certification"))
    first = OutboxRelay(
        service="test", database=database, kafka=kafka, topics=[TOPIC], poll_interval_s=0.2
    )
    second = OutboxRelay(
        service="test", database=database, kafka=kafka, topics=[TOPIC], poll_interval_s=0.2
    )
    stop = asyncio.Event()
    tasks = [asyncio.create_task(first.run(stop)), asyncio.create_task(second.run(stop))]
    try:
        for _ in range(100):
            if first.is_leader or second.is_leader:
                break
            await asyncio.sleep(0.05)
        await write_events(
            database, [registered(make_uscc(body=f"MC00000{n}"), 1) for n in range(8)]
        )
        for _ in range(100):
            if first.published_total + second.published_total == 8:
                break
            await asyncio.sleep(0.05)
        assert first.is_leader != second.is_leader
        assert sorted([first.published_total, second.published_total]) == [0, 8]
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await database.dispose()


async def positions(database: Database) -> dict[int, tuple[int | None, bool]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(
                outbox_message.c.id,
                outbox_message.c.feed_position,
                outbox_message.c.published_at.is_not(None),
            )
        )
        return {row[0]: (row[1], row[2]) for row in rows}


async def publish_everything(relay: OutboxRelay, kafka: KafkaSettings) -> None:
    producer = build_producer(kafka)
    await producer.start()
    try:
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()


def losses() -> float:
    return REGISTRY.get_sample_value("sme_broker_state_lost_total", {"service": "epoch"}) or 0.0


async def test_a_broker_that_lost_its_log_gets_every_published_row_again_at_the_same_position(
    database_factory: DatabaseFactory, kafka_bootstrap: str
) -> None:
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database = Database.from_url(database_factory.create("epoch", "sme_certification"))
    keys = [make_uscc(body=f"ME00000{n}") for n in range(3)]

    async def write(version: int) -> None:
        async with UnitOfWork(database) as uow:
            for key in keys:
                uow.publish(TOPIC, registered(key, version))
            await uow.commit()

    relay = OutboxRelay(service="epoch", database=database, kafka=kafka, topics=[TOPIC])
    await write(1)
    assert await relay.check_broker_epoch() is False, "a first start has nothing to send again"
    await publish_everything(relay, kafka)
    published = await positions(database)
    assert all(done for _, done in published.values())
    assert await relay.check_broker_epoch() is False, "the broker kept its log"

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([kafka.topic(TOPIC), relay.epoch_topic])
    finally:
        await admin.close()

    before = losses()
    assert await relay.check_broker_epoch() is True
    assert losses() == before + 1
    assert all(not done for _, done in (await positions(database)).values())
    await publish_everything(relay, kafka)
    assert await positions(database) == published, "same feed positions, published again"

    await write(2)
    await publish_everything(relay, kafka)
    after = await positions(database)
    newest = max(p for p, _ in published.values() if p is not None)
    assert sorted(p for i, (p, _) in after.items() if i not in published) == [
        newest + 1,
        newest + 2,
        newest + 3,
    ]
    received = await read_topic(kafka, 6)
    assert sorted((e.subject, e.data["version"]) for e in received) == sorted(
        (key, version) for key in keys for version in (1, 2)
    ), "the topic holds what was sent again and what came after, each once"
    await database.dispose()
