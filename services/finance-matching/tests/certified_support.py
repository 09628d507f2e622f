"""Certificate events as certification publishes them, applied through the consumer's handlers."""

from __future__ import annotations

from typing import Any

import httpx

from sme_common.db import UnitOfWork
from sme_common.events.envelope import CloudEvent
from sme_finance_matching.certified.consumers import certificates_consumer


async def certificate_event(
    client: httpx.AsyncClient, event_type: str, data: dict[str, Any], *, event_id: str | None = None
) -> None:
    handler = certificates_consumer.handlers[event_type]
    event = CloudEvent(
        type=event_type, source="/sme/certification", subject=data["uscc"], data=data
    )
    if event_id is not None:
        event.id = event_id
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await handler(uow, event)
        await uow.commit()


async def grant(
    client: httpx.AsyncClient,
    uscc: str,
    certificate_id: str,
    *,
    tier: str = "specialised",
    issued_on: str = "2026-01-10",
    expires_on: str = "2029-01-09",
) -> None:
    await certificate_event(
        client,
        "certification.certificate.granted.v1",
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": tier,
            "level": "provincial",
            "issued_on": issued_on,
            "expires_on": expires_on,
        },
    )


async def revoke(
    client: httpx.AsyncClient, uscc: str, certificate_id: str, tier: str = "specialised"
) -> None:
    await certificate_event(
        client,
        "certification.certificate.revoked.v1",
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": tier,
            "revoked_on": "2026-11-20",
            "reason": "虚假申报",
            "reason_code": "false_declaration",
        },
    )


async def expire(
    client: httpx.AsyncClient, uscc: str, certificate_id: str, tier: str = "specialised"
) -> None:
    await certificate_event(
        client,
        "certification.certificate.expired.v1",
        {"certificate_id": certificate_id, "uscc": uscc, "tier": tier, "expired_on": "2026-11-20"},
    )
