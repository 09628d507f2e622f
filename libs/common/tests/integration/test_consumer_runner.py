"""The consumer runner on real PostgreSQL and a real broker: a partition's batch is applied in one
transaction, a poison event in it is dead-lettered alone, an event is accepted only from the service
owning its type, and a directory is rebuilt from the topic."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from prometheus_client import REGISTRY
from sqlalchemy import text

from sme_common.db import Database, UnitOfWork
from sme_common.db.engine import to_sync_url
from sme_common.directory.consumers import (
    REGISTERED_V1,
    directory_consumer,
    record_registered_enterprise,
)
from sme_common.events.consumer import (
    ConsumerRunner,
    ConsumerSpec,
    Outcome,
    PermanentEventError,
    UntrustedEventError,
    check_origin,
)
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests

TOPIC = "registry.enterprise"
GRANTED_V1 = "certification.certificate.granted.v1"


def registered(serial: int, *, version: int = 1, name: str | None = None) -> CloudEvent:
    uscc = make_uscc(region="620102", body=f"ME{serial:06d}")
    return CloudEvent(
        type=REGISTERED_V1,
        source="/sme/registry",
        subject=uscc,
        data={
            "uscc": uscc,
            "name": name or f"企业{serial}",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": version,
        },
    )


def granted(serial: int, source: str = "/sme/certification") -> CloudEvent:
    uscc = make_uscc(region="620102", body=f"MF{serial:06d}")
    return CloudEvent(
        type=GRANTED_V1,
        source=source,
        subject=uscc,
        data={
            "certificate_id": f"c{serial}",
            "uscc": uscc,
            "tier": "specialised",
            "level": "provincial",
            "certificate_number": f"GS-{serial}",
            "issued_on": "2026-01-10",
            "expires_on": "2029-01-09",
        },
    )


def record(
    kafka: KafkaSettings, event: CloudEvent, offset: int, topic: str = TOPIC
) -> ConsumerRecord[bytes, bytes]:
    value = event.body()
    return ConsumerRecord(
        topic=kafka.topic(topic),
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=(event.subject or "").encode(),
        value=value,
        checksum=None,
        serialized_key_size=18,
        serialized_value_size=len(value),
        headers=event.kafka_headers(),
    )


@pytest.fixture
def kafka(kafka_bootstrap: str) -> KafkaSettings:
    return kafka_settings_for_tests(kafka_bootstrap)


@pytest.fixture
async def database(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database.from_url(database_factory.create("runner", "sme_certification"))
    yield db
    await db.dispose()


async def scalar(database: Database, sql: str) -> object:
    async with database.sessionmaker() as session:
        return await session.scalar(text(sql))


async def dead_letters(kafka: KafkaSettings, consumer_name: str) -> list[dict[str, bytes]]:
    consumer = AIOKafkaConsumer(
        kafka.topic(f"{consumer_name}.dlt"),
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=5_000)
    finally:
        await consumer.stop()
    return [dict(r.headers) for records in batch.values() for r in records]


async def test_a_partition_batch_is_applied_in_one_transaction_inbox_rows_included(
    database: Database, kafka: KafkaSettings
) -> None:
    runner = ConsumerRunner(
        spec=directory_consumer("certification"), database=database, kafka=kafka
    )
    events = [registered(n) for n in range(50)]
    outcomes = await runner.process_batch(
        [record(kafka, e, n) for n, e in enumerate(events)], asyncio.Event()
    )
    assert outcomes == [Outcome.APPLIED] * 50
    # now() is the transaction's start: one value for all the inbox rows means one transaction.
    assert await scalar(database, "SELECT count(DISTINCT processed_at) FROM inbox_message") == 1
    assert await scalar(database, "SELECT count(*) FROM enterprise_directory") == 50


async def test_duplicates_in_and_across_batches_stop_at_the_inbox(
    database: Database, kafka: KafkaSettings
) -> None:
    runner = ConsumerRunner(
        spec=directory_consumer("certification"), database=database, kafka=kafka
    )
    first, second, third = registered(1), registered(2), registered(3)
    stop = asyncio.Event()
    assert await runner.process_batch([record(kafka, first, 0)], stop) == [Outcome.APPLIED]
    outcomes = await runner.process_batch(
        [record(kafka, e, n) for n, e in enumerate([first, second, second, third], start=1)], stop
    )
    assert outcomes == [Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED]
    assert await scalar(database, "SELECT count(*) FROM enterprise_directory_change") == 3


async def test_a_poison_event_in_a_batch_is_dead_lettered_alone(
    database: Database, kafka: KafkaSettings
) -> None:
    poison = registered(2)

    async def handler(uow: UnitOfWork, event: CloudEvent) -> None:
        if event.id == poison.id:
            raise PermanentEventError("cannot apply this one (simulated defect)")
        await record_registered_enterprise(uow, event)

    spec = ConsumerSpec(name="test.poison-batch", topics=[TOPIC], handlers={REGISTERED_V1: handler})
    runner = ConsumerRunner(spec=spec, database=database, kafka=kafka)
    events = [registered(1), poison, registered(3)]
    try:
        outcomes = await runner.process_batch(
            [record(kafka, e, n) for n, e in enumerate(events)], asyncio.Event()
        )
    finally:
        await runner._stop_producer()
    assert outcomes == [Outcome.APPLIED, Outcome.DEAD_LETTERED, Outcome.APPLIED]
    assert await scalar(database, "SELECT count(*) FROM enterprise_directory") == 2
    (headers,) = await dead_letters(kafka, spec.name)
    assert headers["ce_id"] == poison.id.encode()
    assert headers["x-dead-letter-reason"] == b"handler_failed"


def test_an_event_is_accepted_only_from_the_service_owning_its_type() -> None:
    check_origin(granted(1), "certification.certificate")
    with pytest.raises(UntrustedEventError, match="source /sme/certification") as error:
        check_origin(granted(1, source="/sme/funding"), "certification.certificate")
    assert error.value.reason == "source_not_owner"
    with pytest.raises(UntrustedEventError, match="owned by funding") as error:
        check_origin(granted(1), "funding.entitlement")
    assert error.value.reason == "topic_not_owner"


async def test_forged_granted_events_are_dead_lettered_counted_and_never_applied(
    database: Database, kafka: KafkaSettings
) -> None:
    applied: list[str] = []

    async def grant(uow: UnitOfWork, event: CloudEvent) -> None:
        applied.append(event.id)

    spec = ConsumerSpec(
        name="test.certificates",
        topics=["certification.certificate", "funding.entitlement"],
        handlers={GRANTED_V1: grant},
    )
    runner = ConsumerRunner(spec=spec, database=database, kafka=kafka)
    genuine = granted(1)
    other_source = granted(2, source="/sme/funding")
    other_topic = granted(3)  # right source, but written to funding's topic
    # A registry event on certification's topic: its type's owner is not the topic's owner.
    foreign_type = registered(4)
    before = REGISTRY.get_sample_value(
        "sme_consumer_untrusted_events_total",
        {"consumer": spec.name, "reason": "source_not_owner"},
    )
    stop = asyncio.Event()
    try:
        outcomes = await runner.process_batch(
            [
                record(kafka, genuine, 0, "certification.certificate"),
                record(kafka, other_source, 1, "certification.certificate"),
                record(kafka, foreign_type, 2, "certification.certificate"),
            ],
            stop,
        )
        outcomes += await runner.process_batch(
            [record(kafka, other_topic, 0, "funding.entitlement")], stop
        )
    finally:
        await runner._stop_producer()
    assert outcomes == [
        Outcome.APPLIED,
        Outcome.DEAD_LETTERED,
        Outcome.DEAD_LETTERED,
        Outcome.DEAD_LETTERED,
    ]
    assert applied == [genuine.id]
    reasons = {h["ce_id"]: h["x-dead-letter-reason"] for h in await dead_letters(kafka, spec.name)}
    assert reasons == {
        other_source.id.encode(): b"source_not_owner",
        foreign_type.id.encode(): b"topic_not_owner",
        other_topic.id.encode(): b"topic_not_owner",
    }
    after = REGISTRY.get_sample_value(
        "sme_consumer_untrusted_events_total",
        {"consumer": spec.name, "reason": "source_not_owner"},
    )
    assert (after or 0) - (before or 0) == 1
    # Applied directly (as the replay command does), a forged source is refused just the same.
    with pytest.raises(UntrustedEventError):
        await runner.apply(granted(5, source="/sme/funding"), grant)


async def test_rebuild_directory_rereads_the_topic_and_applies_updates_missed_before(
    database_factory: DatabaseFactory, kafka: KafkaSettings
) -> None:
    """The command the fix of updated.v1 ships with: directories kept before it skipped updates."""
    url = database_factory.create("rebuild", "sme_certification")
    database = Database.from_url(url)
    events = [registered(n) for n in range(1, 21)]
    renamed = registered(7, version=2, name="更名后的企业")
    renamed = CloudEvent(
        type="registry.enterprise.updated.v1",
        source="/sme/registry",
        subject=renamed.subject,
        data={
            **renamed.data,
            "changed_fields": ["name"],
            "operating_status": "operating",
            "updated_at": "2026-11-25T08:00:00+00:00",
        },
    )
    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in [*events, renamed]:
            await producer.send(
                kafka.topic(TOPIC),
                value=event.body(),
                key=(event.subject or "").encode(),
                headers=event.kafka_headers(),
            )
        await producer.flush()
    finally:
        await producer.stop()
    # The directory as the old consumer left it: registrations only.
    old = directory_consumer("certification")
    old_runner = ConsumerRunner(
        spec=ConsumerSpec(
            name=old.name, topics=old.topics, handlers={REGISTERED_V1: record_registered_enterprise}
        ),
        database=database,
        kafka=kafka,
    )
    for event in events:
        await old_runner.apply(event, record_registered_enterprise)
    await database.dispose()

    env = {
        **os.environ,
        "SME_CERTIFICATION_DATABASE_URL": url,
        "SME_CERTIFICATION_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "SME_CERTIFICATION_KAFKA__TOPIC_PREFIX": kafka.topic_prefix,
        "SME_CERTIFICATION_KAFKA__REQUEST_TIMEOUT_MS": str(kafka.request_timeout_ms),
    }
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "sme_certification", "rebuild-directory"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"applied": 1' in result.stdout and '"duplicates": 20' in result.stdout
    assert "read 21" in result.stderr, "the command shows its progress"
    with psycopg.connect(to_sync_url(url)) as conn:
        row = conn.execute(
            "SELECT name, registry_version FROM enterprise_directory WHERE uscc = %s",
            (renamed.subject,),
        ).fetchone()
    assert row == ("更名后的企业", 2)
