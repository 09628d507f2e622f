"""A consumer written with nothing of ours reads what every producing service publishes
(registry's enterprises; certification's certificates and applications; funding's entitlements;
finance-matching's needs, loans and list snapshots; complaints' cases), each from a real flow:
kafka-python (with ``assign()``, no consumer group, and a pinned ``api_version``: Tansu answers
kafka-python that way, while Debian's kcat fails its ApiVersionRequest) and the CloudEvents SDK's
Kafka binding. Each event
is checked against the JSON Schema its ``dataschema`` names, fetched from the producer's own
``/event-schemas`` endpoint, which must be the schema committed under
``libs/common/src/sme_common/contracts/events/`` (what integrators are handed); its subject and
record key are the data's field the schema names as key (``x-key``). The producer is told its
public address (``public_base_url``), so ``dataschema`` is an absolute URI (CloudEvents 1.0.2) the
consumer fetches as it is; the schema's ``$id`` resolves against it to itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
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
from sme_common.directory.consumers import directory_consumer, record_registered_enterprise
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.relay import OutboxRelay, build_producer
from sme_common.events.tables import outbox_message
from sme_common.events.topics import ensure_topics
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from sme_complaints.app import DEFINITION as COMPLAINTS
from sme_embedded.platform import SERVICES
from sme_finance_matching.app import DEFINITION as FINANCE
from sme_finance_matching.certified.consumers import (
    certificates_consumer as finance_certificates,
)
from sme_funding.app import DEFINITION as FUNDING
from sme_funding.entitlements.consumers import certificates_consumer as funding_certificates
from sme_registry.reference.service import load_reference_data

REPO = Path(__file__).resolve().parents[2]
FINANCE_TOPICS = ("finance-matching.need", "finance-matching.loan", "finance-matching.snapshot")
COMMITTED_SCHEMAS = REPO / "libs" / "common" / "src" / "sme_common" / "contracts" / "events"
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
    service: str, database: Database, kafka: KafkaSettings, topics: Sequence[str]
) -> None:
    """What the service's relay does: every row of its outbox to the broker (all its topics)."""
    await ensure_topics(kafka, list(topics))
    relay = OutboxRelay(service=service, database=database, kafka=kafka, topics=list(topics))
    producer = build_producer(kafka)
    await producer.start()
    try:
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()


def committed_schema(event_type: str) -> dict[str, Any]:
    """The schema file of the event type in the repository (the producer is the type's first
    segment; its folder spells a hyphen as an underscore)."""
    producer = event_type.split(".", 1)[0].replace("-", "_")
    path = COMMITTED_SCHEMAS / producer / f"{event_type}.schema.json"
    assert path.is_file(), f"no committed schema for {event_type}"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


async def read_and_validate(
    service: str,
    topic: str,
    database: Database,
    kafka: KafkaSettings,
    kafka_bootstrap: str,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    *,
    topics: Sequence[str] | None = None,
) -> list[str]:
    """Publish what ``service`` wrote (to ``topics``, default ``[topic]``), read all of ``topic``
    from outside and check every event against the schema fetched from its absolute
    ``dataschema`` and committed in the repository; every one is about ``USCC``. The event
    types, in order."""
    await publish_outbox(service, database, kafka, topics or [topic])
    events = await read_events(service, topic, database, kafka, kafka_bootstrap, client, headers)
    assert {event.get_subject() for event in events} == {USCC}
    return [event.get_type() for event in events]


async def read_events(
    service: str,
    topic: str,
    database: Database,
    kafka: KafkaSettings,
    kafka_bootstrap: str,
    client: httpx.AsyncClient,
    headers: dict[str, str],
) -> list[Any]:
    """Every event of ``topic`` (already published), each checked; the CloudEvents in order."""
    async with database.sessionmaker() as session:
        written = await session.scalar(
            select(func.count()).select_from(outbox_message).where(outbox_message.c.topic == topic)
        )
    records = await asyncio.to_thread(read_every_record, kafka_bootstrap, kafka.topic(topic))
    assert written and len(records) == written, (topic, written, len(records))
    schemas: dict[str, dict[str, Any]] = {}
    events = []
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
            assert served.json() == committed_schema(event.get_type()), dataschema
            schemas[dataschema] = served.json()
        schema = schemas[dataschema]
        assert schema["x-event-type"] == event.get_type()
        assert schema["x-topic"] == topic
        assert urljoin(dataschema, schema["$id"]) == dataschema
        data = event.get_data()
        assert isinstance(data, dict)
        errors = list(Draft202012Validator(schema).iter_errors(data))
        assert not errors, (event.get_type(), [e.message for e in errors])
        key = data[schema["x-key"]]
        assert event.get_subject() == key == record.key.decode(), event.get_type()
        events.append(event)
    return events


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


def certificate_granted(certificate_id: str, issued_on: str) -> CloudEvent:
    """certification's event, as a consumer of certification.certificate receives it."""
    return CloudEvent(
        type="certification.certificate.granted.v1",
        source="/sme/certification",
        subject=USCC,
        data={
            "certificate_id": certificate_id,
            "uscc": USCC,
            "tier": "specialised",
            "level": "provincial",
            "certificate_number": f"GS-{certificate_id}",
            "issued_on": issued_on,
            "expires_on": issued_on.replace(issued_on[:4], str(int(issued_on[:4]) + 3), 1),
        },
    )


async def delivered(database: Database, spec: ConsumerSpec, event: CloudEvent) -> None:
    """Through the service's consumer runner (origin check, schema, inbox), as the record would
    come from the broker."""
    runner = ConsumerRunner(
        spec=spec, database=database, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1")
    )
    assert await runner.apply(event, spec.handlers[event.type]) is Outcome.APPLIED


async def test_an_independent_consumer_validates_every_entitlement_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    """funding: a certificate becomes a 30万 entitlement (created), the 市州 and the province
    approve it against 兰州's allocation (approved)."""
    url = database_factory.create("independent_funding", "sme_funding")
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("funding", url, kafka, auth_dir)
    manager = bearer("province_officer", region="620000", subject="prov:budget")
    city = bearer("city_officer", region="620100", subject="city:lanzhou:zhang")
    province = bearer("province_officer", region="620000", subject="prov:wang")
    api = "/api/funding/v1"
    try:
        with use_clock(FixedClock(datetime(2026, 6, 10, 2, 0, tzinfo=UTC))):
            await delivered(database, directory_consumer("funding"), registered_in_chengguan())
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
            ) as client:
                fund = await client.post(
                    f"{api}/funds",
                    headers=manager,
                    json={
                        "code": "sme-development-fund",
                        "name": "2026年省级中小企业发展专项资金",
                        "source_kind": "provincial",
                        "year": 2026,
                        "province_code": "620000",
                        "total_fen": 1_000_000_000,
                    },
                )
                assert fund.status_code == 201, fund.text
                allocated = await client.put(
                    f"{api}/funds/{fund.json()['id']}/allocations/620100",
                    headers=manager,
                    json={"amount_fen": 100_000_000},
                )
                assert allocated.status_code == 201, allocated.text
                await delivered(
                    database,
                    funding_certificates,
                    certificate_granted("cert_independent_funding", "2026-06-01"),
                )
                listed = await client.get(
                    f"{api}/entitlements", headers=city, params={"uscc": USCC}
                )
                assert listed.status_code == 200, listed.text
                [entitlement] = listed.json()["items"]
                approval = f"{api}/entitlements/{entitlement['id']}/approval"
                for officer in (city, province):
                    current = await client.get(approval, headers=officer)
                    assert current.status_code == 200, current.text
                    stepped = await client.post(
                        f"{approval}/steps",
                        headers=officer,
                        json={"action": "approve", "version": current.json()["version"]},
                    )
                    assert stepped.status_code == 200, stepped.text
                assert stepped.json()["entitlement_status"] == "approved"
                seen = await read_and_validate(
                    "funding",
                    "funding.entitlement",
                    database,
                    kafka,
                    kafka_bootstrap,
                    client,
                    province,
                    topics=FUNDING.produced_topics,
                )
    finally:
        await database.dispose()
    assert seen == ["funding.entitlement.created.v1", "funding.entitlement.approved.v1"]


async def test_an_independent_consumer_validates_every_finance_matching_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    """finance-matching: an enterprise's need is matched to a bank's product (need), the bank
    pulls a list snapshot (snapshot) and reports the loan it granted (loan)."""
    url = database_factory.create("independent_finance", "sme_finance_matching")
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("finance-matching", url, kafka, auth_dir)
    province = bearer("province_officer", region="620000")
    client_id = "independent-bank"
    bank = bearer(
        "bank",
        scopes=("finance:read", "finance:write"),
        subject=f"client:{client_id}",
        client_id=client_id,
    )
    enterprise = bearer("enterprise", uscc=USCC)
    api = "/api/finance-matching/v1"
    try:
        with use_clock(FixedClock(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))):
            await delivered(
                database, directory_consumer("finance-matching"), registered_in_chengguan()
            )
            await delivered(
                database,
                finance_certificates,
                certificate_granted("cert_independent_finance", "2026-01-10"),
            )
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
            ) as client:
                institution = await client.post(
                    f"{api}/institutions",
                    headers=province,
                    json={
                        "kind": "bank",
                        "name": "独立消费者测试银行",
                        "uscc": make_uscc(region="620100", body="MKBANK01"),
                        "province_code": "620000",
                        "region_codes": ["620100"],
                        "tiers": ["specialised"],
                        "client_ids": [client_id],
                    },
                )
                assert institution.status_code == 201, institution.text
                institution_id = institution.json()["id"]
                product = await client.post(
                    f"{api}/products",
                    headers=bank,
                    json={
                        "name": "专精特新信用贷",
                        "product_type": "credit_loan",
                        "min_amount_fen": 10_000_000,
                        "max_amount_fen": 500_000_000,
                        "min_rate_ratio": "0.0300",
                        "max_rate_ratio": "0.0450",
                        "min_term_months": 6,
                        "max_term_months": 36,
                        "eligible_tiers": ["specialised"],
                        "eligible_region_codes": ["620100"],
                        "status": "active",
                    },
                )
                assert product.status_code == 201, product.text
                need = await client.post(
                    f"{api}/needs",
                    headers=enterprise,
                    json={
                        "uscc": USCC,
                        "amount_fen": 300_000_000,
                        "purpose": "购置数控加工设备，扩大精密零部件产能",
                        "term_months": 24,
                        "collateral": "intellectual_property",
                        "urgency": "normal",
                        "tier": "specialised",
                        "size_class": "small",
                    },
                )
                assert need.status_code == 201, need.text
                assert need.json()["status"] == "matched", need.text
                snapshot = await client.post(f"{api}/lists/snapshots", headers=bank, json={})
                assert snapshot.status_code == 201, snapshot.text
                report = await client.post(
                    f"{api}/feedback",
                    headers=bank,
                    json={
                        "external_id": "IND-2026-0001",
                        "need_id": need.json()["id"],
                        "uscc": USCC,
                        "product_id": product.json()["id"],
                        "outcome": "granted",
                        "outcome_on": "2026-11-26",
                        "amount_fen": 300_000_000,
                        "annual_rate_ratio": "0.0350",
                        "term_months": 24,
                        "first_time_borrower": True,
                    },
                )
                assert report.status_code == 201, report.text
                await publish_outbox("finance-matching", database, kafka, FINANCE.produced_topics)
                seen = {
                    topic: await read_events(
                        "finance-matching",
                        topic,
                        database,
                        kafka,
                        kafka_bootstrap,
                        client,
                        province,
                    )
                    for topic in FINANCE_TOPICS
                }
    finally:
        await database.dispose()
    types = {topic: [e.get_type() for e in events] for topic, events in seen.items()}
    assert types == {
        "finance-matching.need": ["finance-matching.need.matched.v1"],
        "finance-matching.loan": ["finance-matching.loan.reported.v1"],
        "finance-matching.snapshot": ["finance-matching.snapshot.published.v1"],
    }
    [matched] = seen["finance-matching.need"]
    assert matched.get_subject() == USCC
    assert [m["product_id"] for m in matched.get_data()["matches"]] == [product.json()["id"]]
    [published] = seen["finance-matching.snapshot"]
    assert published.get_subject() == institution_id
    assert published.get_data()["entry_count"] == 1
    [loan] = seen["finance-matching.loan"]
    assert (loan.get_subject(), loan.get_data()["outcome"]) == (USCC, "granted")


async def test_an_independent_consumer_validates_every_case_event_against_its_dataschema(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
) -> None:
    """complaints: the hotline files a work order (received), the province accepts it and
    transfers it to 兰州's department (accepted, transferred)."""
    url = database_factory.create("independent_complaints", "sme_complaints")
    kafka = kafka_settings_for_tests(kafka_bootstrap)
    database, app = service_app("complaints", url, kafka, auth_dir)
    province = bearer("province_officer", region="620000")
    hotline = bearer(
        "hotline", scopes=("complaints:read", "complaints:write"), client_id="independent-12345"
    )
    api = "/api/complaints/v1"
    try:
        with use_clock(FixedClock(datetime(2026, 9, 23, 2, 0, tzinfo=UTC))):
            await delivered(database, directory_consumer("complaints"), registered_in_chengguan())
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=PUBLIC_BASE_URL
            ) as client:
                case = await client.post(
                    f"{api}/cases",
                    headers=hotline,
                    json={
                        "category_code": "overdue_goods",
                        "work_order_no": "GS12345-20260923-0042",
                        "complainant": {
                            "uscc": USCC,
                            "name": "独立消费者测试有限公司",
                            "size_class": "small",
                            "contact": {"name": "赵六", "phone": "13700000000"},
                        },
                        "respondent": {
                            "name": "兰州某某区住房和城乡建设局",
                            "type": "government_body",
                            "region_code": "620102",
                        },
                        "contract": {
                            "signed_on": "2025-07-01",
                            "subject": "goods",
                            "amount_fen": 120_000_000,
                            "delivered_on": "2025-08-01",
                        },
                        "amount_owed_fen": 60_000_000,
                        "other_proceedings": {"seized": False},
                        "evidence": [{"kind": "contract", "title": "采购合同"}],
                    },
                )
                assert case.status_code == 201, case.text
                current = case.json()
                for action in ("accept", "transfer"):
                    stepped = await client.post(
                        f"{api}/cases/{current['id']}/steps",
                        headers=province,
                        json={"action": action, "version": current["version"]},
                    )
                    assert stepped.status_code == 200, stepped.text
                    current = stepped.json()
                await publish_outbox("complaints", database, kafka, COMPLAINTS.produced_topics)
                events = await read_events(
                    "complaints",
                    "complaints.case",
                    database,
                    kafka,
                    kafka_bootstrap,
                    client,
                    province,
                )
    finally:
        await database.dispose()
    assert [e.get_type() for e in events] == [
        "complaints.case.received.v1",
        "complaints.case.accepted.v1",
        "complaints.case.transferred.v1",
    ]
    assert {(e.get_subject(), e.get_data()["case_id"]) for e in events} == {(USCC, current["id"])}
