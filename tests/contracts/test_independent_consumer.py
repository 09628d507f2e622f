"""A consumer written with nothing of ours reads what the registry and certification publish
(enterprises, certificates, applications):
kafka-python (with ``assign()``, no consumer group, and a pinned ``api_version``: Tansu answers
kafka-python that way, while Debian's kcat fails its ApiVersionRequest) and the CloudEvents SDK's
Kafka binding. Each event
is checked against the JSON Schema its ``dataschema`` names, fetched from the producer's own
``/event-schemas`` endpoint. The producer is told its public address (``public_base_url``), so
``dataschema`` is an absolute URI (CloudEvents 1.0.2) the consumer fetches as it is; the schema's
``$id`` resolves against it to itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import func, select

from sme_common.clock import FixedClock, use_clock
from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import record_registered_enterprise
from sme_common.events.envelope import CloudEvent
from sme_common.events.relay import OutboxRelay, build_producer
from sme_common.events.tables import outbox_message
from sme_common.events.topics import ensure_topics
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from sme_embedded.platform import SERVICES
from sme_registry.reference.service import load_reference_data

TOPIC = "registry.enterprise"
USCC = make_uscc(region="620102", body="MK000001")
PUBLIC_BASE_URL = "http://registry"  # the address the test client reaches the registry by


def read_every_record(bootstrap: str, topic: str) -> list[Any]:
    """From the first offset to the end of every partition, as an outside consumer would."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        api_version=(2, 5, 0),
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=10_000,
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        assert partitions, f"{topic} has no partitions"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[Any] = []
        polls = 0
        while any(consumer.position(p) < ends[p] for p in partitions):
            polls += 1
            assert polls < 200, "the records up to the end offsets did not arrive"
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


async def publish_outbox(
    service: str, database: Database, kafka: KafkaSettings, topic: str
) -> None:
    await ensure_topics(kafka, [topic])
    relay = OutboxRelay(service=service, database=database, kafka=kafka, topics=[topic])
    producer = build_producer(kafka)
    await producer.start()
    try:
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()


async def read_and_validate(
    service: str,
    topic: str,
    database: Database,
    kafka: KafkaSettings,
    kafka_bootstrap: str,
    client: httpx.AsyncClient,
    headers: dict[str, str],
) -> list[str]:
    """Publish what ``service`` wrote, read all of ``topic`` from outside and check every event
    against the schema fetched from its absolute ``dataschema``; the event types, in order."""
    await publish_outbox(service, database, kafka, topic)
    async with database.sessionmaker() as session:
        written = await session.scalar(
            select(func.count()).select_from(outbox_message).where(outbox_message.c.topic == topic)
        )
    records = await asyncio.to_thread(read_every_record, kafka_bootstrap, kafka.topic(topic))
    assert written and len(records) == written
    schemas: dict[str, dict[str, Any]] = {}
    seen = []
    for record in records:
        event = from_binary_event(
            KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
        )
        dataschema = event.get_dataschema()
        assert dataschema, event.get_type()
        assert dataschema.startswith(f"{PUBLIC_BASE_URL}/api/{service}/v1/event-schemas/")
        if dataschema not in schemas:
            served = await client.get(dataschema, headers=headers)
            assert served.status_code == 200, (dataschema, served.text)
            schemas[dataschema] = served.json()
        schema = schemas[dataschema]
        assert schema["x-event-type"] == event.get_type()
        assert urljoin(dataschema, schema["$id"]) == dataschema
        data = event.get_data()
        assert isinstance(data, dict)
        errors = list(Draft202012Validator(schema).iter_errors(data))
        assert not errors, (event.get_type(), [e.message for e in errors])
        assert event.get_subject() == USCC == data["uscc"]
        seen.append(event.get_type())
    return seen


def registered_in_chengguan() -> CloudEvent:
    """The enterprise in certification's directory, as registry's event puts it there."""
    return CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        subject=USCC,
        data={
            "uscc": USCC,
            "name": "独立消费者测试有限公司",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "operating_status": "operating",
            "registered_at": "2025-01-02T08:00:00+00:00",
            "version": 1,
        },
    )


def service_app(
    name: str, url: str, kafka: KafkaSettings, auth_dir: Path
) -> tuple[Database, FastAPI]:
    module = next(m for m in SERVICES if m.definition.name == name)
    settings = module.settings_class(
        database_url=url,  # type: ignore[arg-type]
        kafka=kafka,
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        public_base_url=PUBLIC_BASE_URL,
    )
    database = Database.from_url(url)
    return database, module.create_app(settings, database=database)


async def test_an_independent_consumer_validates_every_registry_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    url = database_factory.create("independent_consumer", "sme_registry")
    load_reference_data(url)
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("registry", url, kafka, auth_dir)
    officer = bearer("province_officer", region="620000")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
        ) as client:
            created = await client.post(
                "/api/registry/v1/enterprises",
                headers=officer,
                json={"uscc": USCC, "name": "独立消费者测试有限公司", "region_code": "620102"},
            )
            assert created.status_code == 201, created.text
            updated = await client.patch(
                f"/api/registry/v1/enterprises/{USCC}",
                headers=officer,
                json={"version": 1, "name": "独立消费者测试（新）有限公司"},
            )
            assert updated.status_code == 200, updated.text
            seen = await read_and_validate(
                "registry", TOPIC, database, kafka, kafka_bootstrap, client, officer
            )
    finally:
        await database.dispose()
    assert seen[0] == "registry.enterprise.registered.v1"
    assert "registry.enterprise.updated.v1" in seen


async def test_an_independent_consumer_validates_every_certificate_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    url = database_factory.create("independent_certificates", "sme_certification")
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("certification", url, kafka, auth_dir)
    province = bearer("province_officer", region="620000")
    try:
        async with UnitOfWork(database) as uow:
            # In the directory as registry's event puts it there.
            await record_registered_enterprise(uow, registered_in_chengguan())
            await uow.commit()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
        ) as client:
            recorded = await client.post(
                "/api/certification/v1/certificates",
                headers=province,
                json={
                    "uscc": USCC,
                    "tier": "specialised",
                    "level": "provincial",
                    "issued_on": "2025-06-15",
                },
            )
            assert recorded.status_code == 201, recorded.text
            revoked = await client.post(
                f"/api/certification/v1/certificates/{recorded.json()['id']}/revocation",
                headers=province,
                json={
                    "reason": "false_declaration",
                    "revoked_on": "2025-09-01",
                    "note": "研发费用数据造假",
                },
            )
            assert revoked.status_code == 200, revoked.text
            seen = await read_and_validate(
                "certification",
                "certification.certificate",
                database,
                kafka,
                kafka_bootstrap,
                client,
                province,
            )
    finally:
        await database.dispose()
    assert seen == [
        "certification.certificate.granted.v1",
        "certification.certificate.revoked.v1",
    ]


async def test_an_independent_consumer_validates_every_application_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    """The application topic too: filed, recommended by the 市州, returned by the province."""
    url = database_factory.create("independent_applications", "sme_certification")
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("certification", url, kafka, auth_dir)
    province = bearer("province_officer", region="620000")
    try:
        async with UnitOfWork(database) as uow:
            await record_registered_enterprise(uow, registered_in_chengguan())
            await uow.commit()
        with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
            ) as client:
                batch = await client.post(
                    "/api/certification/v1/batches",
                    headers=province,
                    json={
                        "tier": "specialised",
                        "level": "provincial",
                        "year": 2026,
                        "title": "2026年度省级专精特新中小企业（第一批）",
                        "province_code": "620000",
                        "opens_on": "2026-06-01",
                        "closes_on": "2026-06-30",
                    },
                )
                assert batch.status_code == 201, batch.text
                opened = await client.patch(
                    f"/api/certification/v1/batches/{batch.json()['id']}",
                    headers=province,
                    json={"status": "open", "version": batch.json()["version"]},
                )
                assert opened.status_code == 200, opened.text
                enterprise = bearer("enterprise", uscc=USCC)
                application = await client.post(
                    "/api/certification/v1/applications",
                    headers=enterprise,
                    json={"batch_id": batch.json()["id"], "uscc": USCC},
                )
                assert application.status_code == 201, application.text
                current = await client.post(
                    f"/api/certification/v1/applications/{application.json()['id']}/submit",
                    headers=enterprise,
                    json={"version": application.json()["version"]},
                )
                assert current.status_code == 200, current.text
                for headers, decision in (
                    (bearer("county_officer", region="620102"), {"action": "approve_county_check"}),
                    (bearer("city_officer", region="620100"), {"action": "recommend"}),
                    (province, {"action": "return", "remarks": {"year_values": "请补充证明"}}),
                ):
                    current = await client.post(
                        f"/api/certification/v1/applications/{current.json()['id']}/decisions",
                        headers=headers,
                        json={**decision, "version": current.json()["version"]},
                    )
                    assert current.status_code == 200, current.text
                seen = await read_and_validate(
                    "certification",
                    "certification.application",
                    database,
                    kafka,
                    kafka_bootstrap,
                    client,
                    province,
                )
    finally:
        await database.dispose()
    assert seen == [
        "certification.application.submitted.v1",
        "certification.application.recommended.v1",
        "certification.application.returned.v1",
    ]
