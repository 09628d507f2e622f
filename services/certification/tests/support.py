"""Helpers the certification API tests share: enterprises and their facts arrive as registry
events (through the consumers' own handlers and the runner's inbox), batches and applications
through the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import select

from sme_certification.facts.consumers import enterprise_facts_consumer
from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    FactsFiledV1,
    FlagsChangedV1,
    SizeClassChangedV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import directory_consumer
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings

URL = "/api/certification/v1"
LANZHOU, TIANSHUI, LANZHOU_NEW_AREA = "620100", "620500", "620171"
CHENGGUAN, QILIHE, QINZHOU = "620102", "620103", "620502"
FILED_AT = datetime(2026, 3, 1, tzinfo=UTC)


def registry_event(data: Any) -> CloudEvent:
    return CloudEvent(
        type=data.event_type, source="/sme/registry", subject=data.key, data=data.to_event_data()
    )


async def deliver(database: Database, spec: ConsumerSpec, event: CloudEvent) -> Outcome:
    """Through the consumer runner (origin check, schema, inbox), as a record from the broker."""
    runner = ConsumerRunner(
        spec=spec, database=database, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1")
    )
    return await runner.apply(event, spec.handlers[event.type])


async def known_enterprise(
    database: Database,
    body: str,
    *,
    region: str = CHENGGUAN,
    unit: str = LANZHOU,
    status: str = "operating",
) -> str:
    """An enterprise in certification's directory (as registry's registration event put it)."""
    uscc = make_uscc(region=region, body=body)
    event = registry_event(
        EnterpriseRegisteredV1(
            uscc=uscc,
            name=f"企业{body}",
            region_code=region,
            reporting_unit_code=unit,
            operating_status=status,
            registered_at=FILED_AT,
            version=1,
        )
    )
    assert await deliver(database, directory_consumer("certification"), event) is Outcome.APPLIED
    return uscc


def facts_event(uscc: str, year: int, version: int = 1, **facts: Any) -> CloudEvent:
    return registry_event(
        FactsFiledV1(
            uscc=uscc,
            year=year,
            version=version,
            facts={"source": "tax", **facts},
            ratios={},
            source="tax",
            filed_at=FILED_AT,
        )
    )


def flag_event(uscc: str, flag_id: str, change: str, started_on: date, **more: Any) -> CloudEvent:
    return registry_event(
        FlagsChangedV1(
            uscc=uscc,
            flag_id=flag_id,
            kind=more.pop("kind", "abnormal_operations"),
            change=change,
            started_on=started_on,
            active_flags=more.pop("active_flags", []),
            **more,
        )
    )


def size_event(uscc: str, size_class: str | None, decided_at: datetime) -> CloudEvent:
    return registry_event(
        SizeClassChangedV1(
            uscc=uscc,
            size_class=size_class,  # type: ignore[arg-type]
            previous_size_class=None,
            basis_year=2025,
            rule_version="300-2011",
            decided_at=decided_at,
        )
    )


async def file_facts(database: Database, uscc: str, year: int, **facts: Any) -> None:
    outcome = await deliver(database, enterprise_facts_consumer, facts_event(uscc, year, **facts))
    assert outcome is Outcome.APPLIED


BATCH = {
    "tier": "specialised",
    "level": "provincial",
    "year": 2026,
    "title": "2026年度省级专精特新中小企业（第一批）",
    "province_code": "620000",
    "opens_on": "2026-06-01",
    "closes_on": "2026-06-30",
}


async def make_batch(
    client: httpx.AsyncClient, headers: dict[str, str], *, status: str = "open", **over: Any
) -> dict[str, Any]:
    created = await client.post(f"{URL}/batches", headers=headers, json={**BATCH, **over})
    assert created.status_code == 201, created.text
    batch: dict[str, Any] = created.json()
    if status == "draft":
        return batch
    opened = await client.patch(
        f"{URL}/batches/{batch['id']}", headers=headers, json={"status": "open", "version": 1}
    )
    assert opened.status_code == 200, opened.text
    result: dict[str, Any] = opened.json()
    return result


async def make_application(
    client: httpx.AsyncClient, headers: dict[str, str], batch_id: str, uscc: str, **over: Any
) -> dict[str, Any]:
    created = await client.post(
        f"{URL}/applications", headers=headers, json={"batch_id": batch_id, "uscc": uscc, **over}
    )
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    application: dict[str, Any],
    action: str,
    **more: Any,
) -> httpx.Response:
    """A review decision on the version last read."""
    return await client.post(
        f"{URL}/applications/{application['id']}/decisions",
        headers=headers,
        json={"action": action, "version": application["version"], **more},
    )


async def outbox_types(database: Database) -> list[str]:
    async with UnitOfWork(database) as uow:
        rows = await uow.session.execute(
            select(outbox_message.c.event_type).order_by(outbox_message.c.id)
        )
        return [row[0] for row in rows]
