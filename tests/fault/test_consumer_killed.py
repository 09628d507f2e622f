"""Fault 2: a consumer process is killed with SIGKILL in the middle of a batch and restarted: no
event is applied twice and none is missing."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from sme_certification.app import DEFINITION as CERTIFICATION
from sme_common.events.envelope import CloudEvent
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests
from sme_embedded.platform import SERVICES
from tests.conftest import uscc_for
from tests.harness import eventually, service_settings, start_service_process

pytestmark = pytest.mark.slow
EVENTS = 3000


def registered_event(serial: int) -> CloudEvent:
    uscc = uscc_for(serial, region="620502")
    return CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        subject=uscc,
        data={
            "uscc": uscc,
            "name": f"天水企业{serial}",
            "region_code": "620502",
            "reporting_unit_code": "620500",
            "operating_status": "operating",
            "registered_at": "2026-11-24T08:00:00+00:00",
            "version": 1,
        },
    )


async def test_killed_consumer_resumes_without_duplicates_or_gaps(
    database_factory: DatabaseFactory, kafka_bootstrap: str, auth_dir: Path, workdir: Path
) -> None:
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    module = next(m for m in SERVICES if m.definition is CERTIFICATION)
    url = database_factory.create("certification", CERTIFICATION.package)
    settings = service_settings(module, url, kafka, auth_dir)

    producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=20)
    await producer.start()
    try:
        for serial in range(1, EVENTS + 1):
            event = registered_event(serial)
            await producer.send(
                kafka.topic("registry.enterprise"),
                value=event.body(),
                key=event.subject.encode() if event.subject else None,
                headers=event.kafka_headers(),
            )
        await producer.flush()
    finally:
        await producer.stop()

    import psycopg

    from sme_common.db.engine import to_sync_url

    def applied() -> int:
        with psycopg.connect(to_sync_url(url)) as conn:
            row = conn.execute("SELECT count(*) FROM enterprise_directory_change").fetchone()
            return int(row[0]) if row else 0

    worker = start_service_process(module, settings, ["worker"], workdir / "worker-1.log")
    try:
        await eventually(lambda: applied() >= 200, timeout_s=90, interval_s=0.02)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    killed_at = applied()
    assert 0 < killed_at < EVENTS, f"the kill should land mid-stream, it landed at {killed_at}"

    worker = start_service_process(module, settings, ["worker"], workdir / "worker-2.log")
    try:
        await eventually(lambda: applied() >= EVENTS, timeout_s=180)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)

    with psycopg.connect(to_sync_url(url)) as conn:
        changes = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM enterprise_directory_change"
        ).fetchone()
        directory = conn.execute("SELECT count(*) FROM enterprise_directory").fetchone()
        inbox = conn.execute("SELECT count(*) FROM inbox_message").fetchone()
    assert changes == (EVENTS, EVENTS)
    assert directory == (EVENTS,)
    assert inbox == (EVENTS,)
