"""Fault 3: a message the consumer cannot apply goes to its dead-letter topic with the error in the
headers, the consumer carries on with the next ones, and the replay command delivers it once the
cause is fixed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from sme_certification.app import DEFINITION as CERTIFICATION
from sme_common.db.engine import Database, to_sync_url
from sme_common.db.uow import UnitOfWork
from sme_common.directory.consumers import directory_consumer, record_registered_enterprise
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, PermanentEventError
from sme_common.events.envelope import CloudEvent
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests
from sme_embedded.platform import SERVICES
from tests.fault.test_consumer_killed import registered_event
from tests.harness import eventually, service_environment, service_settings

pytestmark = pytest.mark.slow
POISON_SERIAL = 2


async def test_poison_message_is_dead_lettered_and_replayed_after_the_fix(
    database_factory: DatabaseFactory, kafka_bootstrap: str, auth_dir: Path
) -> None:
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    url = database_factory.create("certification", CERTIFICATION.package)
    database = Database.from_url(url)
    real = directory_consumer("certification")
    poison_uscc = registered_event(POISON_SERIAL).subject

    async def buggy_handler(uow: UnitOfWork, event: CloudEvent) -> None:
        # Stands in for a defect in the deployed consumer that only this record triggers.
        if event.subject == poison_uscc:
            raise PermanentEventError("cannot apply this enterprise (simulated defect)")
        await record_registered_enterprise(uow, event)

    buggy = ConsumerSpec(
        name=real.name, topics=real.topics, handlers=dict.fromkeys(real.handlers, buggy_handler)
    )
    runner = ConsumerRunner(spec=buggy, database=database, kafka=kafka)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
    await producer.start()
    events = [registered_event(n) for n in (1, POISON_SERIAL, 3)]
    for event in events:
        await producer.send_and_wait(
            kafka.topic("registry.enterprise"),
            value=event.body(),
            key=(event.subject or "").encode(),
            headers=event.kafka_headers(),
        )
    await producer.stop()

    def known() -> set[str]:
        with psycopg.connect(to_sync_url(url)) as conn:
            return {r[0] for r in conn.execute("SELECT uscc FROM enterprise_directory")}

    dead = AIOKafkaConsumer(
        kafka.topic(f"{real.name}.dlt"),
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await dead.start()
    records = []
    try:
        await eventually(lambda: known() == {events[0].subject, events[2].subject}, timeout_s=60)
        # The consumer keeps running until the dead letter is there: the other two enterprises can
        # be applied (other partitions) before the poison one has been dead-lettered. Then a little
        # longer, to see that it is alone.
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            batch = await dead.getmany(timeout_ms=2_000)
            records += [r for rs in batch.values() for r in rs]
            if records and not batch:
                break
    finally:
        await dead.stop()
        stop.set()
        await task
        await database.dispose()
    assert len(records) == 1
    headers = dict(records[0].headers)
    assert headers["x-exception-type"] == b"PermanentEventError"
    assert b"simulated defect" in headers["x-exception-message"]
    assert headers["x-original-topic"] == kafka.topic("registry.enterprise").encode()
    assert headers["ce_id"] == events[1].id.encode()

    # The fix is deployed: the real consumer code, run by the service's replay command.
    module = next(m for m in SERVICES if m.definition is CERTIFICATION)
    env = service_environment(service_settings(module, url, kafka, auth_dir))
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", CERTIFICATION.package, "replay-dlt", "--consumer", real.name],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"applied": 1' in result.stdout
    assert known() == {e.subject for e in events}

    again = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", CERTIFICATION.package, "replay-dlt", "--consumer", real.name],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0
    assert '"applied": 0' in again.stdout, "a second replay must not apply anything again"
