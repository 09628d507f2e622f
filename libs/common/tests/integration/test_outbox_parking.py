"""A row the broker can never accept is parked; only its key waits, everything else keeps flowing, and
``outbox resend`` publishes it (then the rows that waited) once the cause is fixed (issue 6, defect 3)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NodeNotReadyError,
    NotLeaderForPartitionError,
    RecordListTooLargeError,
    RequestTimedOutError,
    UnknownTopicOrPartitionError,
)
from prometheus_client import REGISTRY
from sqlalchemy import select

from sme_common.db import Database, UnitOfWork
from sme_common.events.envelope import CloudEvent
from sme_common.events.outbox import parked_rows
from sme_common.events.relay import OutboxRelay, build_producer, cannot_succeed_on_retry
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests

TOPIC = "registry.enterprise"
ONE_POINT_ONE_MB = 1_100_000


def registered(uscc: str, version: int, note: str = "") -> CloudEvent:
    data: dict[str, object] = {
        "uscc": uscc,
        "name": f"企业{version}",
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "registered_at": "2026-11-24T08:00:00+00:00",
        "version": version,
    }
    if note:
        data["business_scope"] = note  # a long free-text field, as a CSV cell may carry
    return CloudEvent(
        type="registry.enterprise.registered.v1", source="/sme/registry", subject=uscc, data=data
    )


async def read_all(kafka: KafkaSettings, idle_polls: int = 6) -> list[CloudEvent]:
    consumer = AIOKafkaConsumer(
        kafka.topic(TOPIC),
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    received: list[CloudEvent] = []
    try:
        idle = 0
        while idle < idle_polls:
            batch = await consumer.getmany(timeout_ms=500)
            records = [r for rs in batch.values() for r in rs]
            idle = 0 if records else idle + 1
            received += [CloudEvent.from_kafka(r.headers, r.value) for r in records]
    finally:
        await consumer.stop()
    return received


def versions_by_key(events: list[CloudEvent]) -> dict[str | None, list[int]]:
    found: dict[str | None, list[int]] = {}
    for event in events:
        found.setdefault(event.subject, []).append(int(event.data["version"]))
    return found


def parked_metric() -> float:
    return REGISTRY.get_sample_value("sme_outbox_parked_total", {"service": "parking"}) or 0.0


def test_only_refusals_about_the_record_itself_park_a_row() -> None:
    assert cannot_succeed_on_retry(MessageSizeTooLargeError("too big"))
    assert cannot_succeed_on_retry(RecordListTooLargeError())
    for transient in (
        KafkaConnectionError(),
        KafkaTimeoutError(),
        NodeNotReadyError(),
        NotLeaderForPartitionError(),
        RequestTimedOutError(),
        UnknownTopicOrPartitionError(),
        TimeoutError(),
        ConnectionError(),
    ):
        assert not cannot_succeed_on_retry(transient), transient


async def test_an_oversized_event_is_parked_and_holds_only_its_own_key(
    database_factory: DatabaseFactory, kafka_bootstrap: str
) -> None:
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    url = database_factory.create("parking", "sme_certification")
    database = Database.from_url(url)
    big, other, late = (make_uscc(body=f"MP00000{n}") for n in range(3))
    for event in [
        registered(big, 1, note="经营范围" * (ONE_POINT_ONE_MB // 12)),
        registered(other, 1),
        registered(big, 2),
        registered(late, 1),
    ]:
        async with UnitOfWork(database) as uow:
            uow.publish(TOPIC, event)
            await uow.commit()

    relay = OutboxRelay(service="parking", database=database, kafka=kafka, topics=[TOPIC])
    parked_before = parked_metric()
    producer = build_producer(kafka)
    await producer.start()
    try:
        await relay.check_broker_epoch()
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()

    assert versions_by_key(await read_all(kafka)) == {other: [1], late: [1]}
    assert parked_metric() == parked_before + 1
    [parked] = await parked_rows(database)
    assert (parked.key, parked.held_behind) == (big, 1)
    assert parked.size_bytes > ONE_POINT_ONE_MB
    assert parked.park_reason.startswith("MessageSizeTooLargeError")
    async with database.sessionmaker() as session:
        waiting = (
            await session.execute(
                select(outbox_message.c.key, outbox_message.c.parked_at).where(
                    outbox_message.c.published_at.is_(None)
                )
            )
        ).all()
    assert sorted((key, at is None) for key, at in waiting) == [(big, False), (big, True)]

    # The cause is fixed (the service restarted with a larger limit); the operator lists, then
    # re-sends, with the service's own command while its relay runs.
    fixed = kafka.model_copy(update={"max_request_size": 4 * 1024 * 1024})
    env = {
        **os.environ,
        "SME_CERTIFICATION_DATABASE_URL": url,
        "SME_CERTIFICATION_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
    }
    command = [sys.executable, "-m", "sme_certification", "outbox"]
    listed = await asyncio.to_thread(
        subprocess.run, [*command, "parked"], env=env, capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    assert [row["id"] for row in json.loads(listed.stdout)] == [parked.id]

    stop = asyncio.Event()
    restarted = OutboxRelay(
        service="parking", database=database, kafka=fixed, topics=[TOPIC], poll_interval_s=0.2
    )
    task = asyncio.create_task(restarted.run(stop))
    try:
        resent = await asyncio.to_thread(
            subprocess.run,
            [*command, "resend", "--all", "--wait", "30"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert resent.returncode == 0, resent.stdout + resent.stderr
        assert json.loads(resent.stdout)["status"] == {str(parked.id): "published"}
        for _ in range(100):
            if restarted.published_total == 2:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await task
    assert restarted.broker_losses == 0
    assert versions_by_key(await read_all(kafka)) == {other: [1], late: [1], big: [1, 2]}
    assert await parked_rows(database) == []
    await database.dispose()


async def test_rows_of_other_keys_in_the_same_batch_are_published_beside_a_parked_one(
    database_factory: DatabaseFactory, kafka_bootstrap: str
) -> None:
    limit = 64 * 1024
    kafka = kafka_settings_for_tests(kafka_bootstrap).model_copy(update={"max_request_size": limit})
    database = Database.from_url(database_factory.create("parking", "sme_certification"))
    keys = [make_uscc(body=f"MQ00000{n}") for n in range(4)]
    async with UnitOfWork(database) as uow:
        for n, key in enumerate(keys):
            uow.publish(TOPIC, registered(key, 1, note="x" * (2 * limit if n == 1 else 10)))
            uow.publish(TOPIC, registered(key, 2))
        await uow.commit()
    relay = OutboxRelay(service="parking", database=database, kafka=kafka, topics=[TOPIC])
    producer = build_producer(kafka)
    await producer.start()
    try:
        await relay.check_broker_epoch()
        assert await relay.publish_batch(producer) == 7, "6 published and 1 parked, in one batch"
        assert await relay.publish_batch(producer) == 0, "the parked key's second row waits"
    finally:
        await producer.stop()
    received = versions_by_key(await read_all(kafka))
    assert received == {keys[0]: [1, 2], keys[2]: [1, 2], keys[3]: [1, 2]}
    await database.dispose()
