"""Helpers the entitlements tests share: enterprises, certificates and credit flags arrive as
registry's and certification's events, through the consumers' own handlers and the runner's
inbox (origin check, schema, duplicates)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateRevokedV1,
)
from sme_common.contracts.events.registry.models import EnterpriseRegisteredV1, FlagsChangedV1
from sme_common.db import Database
from sme_common.directory.consumers import directory_consumer
from sme_common.events.consumer import ConsumerRunner, ConsumerSpec, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_funding.entitlements.consumers import certificates_consumer, enterprise_credit_consumer
from sme_funding.entitlements.models import Entitlement

URL = "/api/funding/v1"
LANZHOU, TIANSHUI = "620100", "620500"
CHENGGUAN, QILIHE, QINZHOU = "620102", "620103", "620502"
WAN = 10_000 * 100
"""1万元 in fen."""
REGISTERED_AT = datetime(2026, 1, 5, tzinfo=UTC)


def database_of(client: httpx.AsyncClient) -> Database:
    db: Database = client.app.state.database  # type: ignore[attr-defined]
    return db


def registry_event(data: Any) -> CloudEvent:
    return CloudEvent(
        type=data.event_type, source="/sme/registry", subject=data.key, data=data.to_event_data()
    )


def certification_event(data: Any) -> CloudEvent:
    return CloudEvent(
        type=data.event_type,
        source="/sme/certification",
        subject=data.key,
        data=data.to_event_data(),
    )


async def deliver(database: Database, spec: ConsumerSpec, event: CloudEvent) -> Outcome:
    """Through the consumer runner (origin check, schema, inbox), as a record from the broker."""
    runner = ConsumerRunner(
        spec=spec, database=database, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1")
    )
    return await runner.apply(event, spec.handlers[event.type])


def registered(uscc: str, *, region: str = CHENGGUAN, unit: str = LANZHOU) -> CloudEvent:
    return registry_event(
        EnterpriseRegisteredV1(
            uscc=uscc,
            name=f"企业{uscc[-6:]}",
            region_code=region,
            reporting_unit_code=unit,
            operating_status="operating",
            registered_at=REGISTERED_AT,
            version=1,
        )
    )


async def known_enterprise(
    database: Database, body: str, *, region: str = CHENGGUAN, unit: str = LANZHOU
) -> str:
    """An enterprise in funding's directory (as registry's registration event put it)."""
    uscc = make_uscc(region=region, body=body)
    event = registered(uscc, region=region, unit=unit)
    assert await deliver(database, directory_consumer("funding"), event) is Outcome.APPLIED
    return uscc


def granted(
    uscc: str,
    certificate_id: str,
    *,
    tier: str = "specialised",
    level: str = "provincial",
    issued_on: date = date(2026, 6, 1),
) -> CloudEvent:
    return certification_event(
        CertificateGrantedV1.model_validate(
            {
                "certificate_id": certificate_id,
                "uscc": uscc,
                "tier": tier,
                "level": level,
                "certificate_number": f"GS-{certificate_id}",
                "issued_on": issued_on,
                "expires_on": date(issued_on.year + 3, issued_on.month, issued_on.day),
            }
        )
    )


def renewed(uscc: str, certificate_id: str, *, renewed_on: date) -> CloudEvent:
    return certification_event(
        CertificateRenewedV1.model_validate(
            {
                "certificate_id": certificate_id,
                "uscc": uscc,
                "tier": "specialised",
                "level": "provincial",
                "certificate_number": f"GS-{certificate_id}",
                "renewed_on": renewed_on,
                "expires_on": date(renewed_on.year + 3, renewed_on.month, renewed_on.day),
            }
        )
    )


def expired(uscc: str, certificate_id: str, *, expired_on: date) -> CloudEvent:
    return certification_event(
        CertificateExpiredV1(
            certificate_id=certificate_id, uscc=uscc, tier="specialised", expired_on=expired_on
        )
    )


def revoked(uscc: str, certificate_id: str, *, revoked_on: date) -> CloudEvent:
    return certification_event(
        CertificateRevokedV1.model_validate(
            {
                "certificate_id": certificate_id,
                "uscc": uscc,
                "tier": "specialised",
                "revoked_on": revoked_on,
                "reason": "虚假申报（false declaration）",
                "reason_code": "false_declaration",
            }
        )
    )


def flags(
    uscc: str, flag_id: str, kind: str, change: str, active: list[str], **more: Any
) -> CloudEvent:
    return registry_event(
        FlagsChangedV1(
            uscc=uscc,
            flag_id=flag_id,
            kind=kind,
            change=change,  # type: ignore[arg-type]
            started_on=more.pop("started_on", date(2026, 5, 1)),
            active_flags=active,
            **more,
        )
    )


async def grant(database: Database, event: CloudEvent) -> Outcome:
    return await deliver(database, certificates_consumer, event)


async def credit(database: Database, event: CloudEvent) -> Outcome:
    return await deliver(database, enterprise_credit_consumer, event)


async def entitlements_of(database: Database, uscc: str) -> list[Entitlement]:
    async with database.sessionmaker() as session:
        query = select(Entitlement).where(Entitlement.uscc == uscc)
        return list(
            await session.scalars(
                query.order_by(Entitlement.year, Entitlement.policy_code, Entitlement.id)
            )
        )


async def created_events(database: Database) -> list[dict[str, Any]]:
    """The funding.entitlement.created.v1 events in the outbox, oldest first."""
    query = (
        select(outbox_message.c.event_type, outbox_message.c.payload, outbox_message.c.topic)
        .where(outbox_message.c.event_type == "funding.entitlement.created.v1")
        .order_by(outbox_message.c.id)
    )
    async with database.sessionmaker() as session:
        rows = (await session.execute(query)).all()

    return [{"topic": r.topic, **json.loads(r.payload)} for r in rows]


async def count(database: Database, table: Any) -> int:
    async with database.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)
