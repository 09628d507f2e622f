"""Queries over what other services report: held certificates and the activity records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.activity.models import EnterpriseActivity, HeldCertificate


async def certificate(
    session: AsyncSession, certificate_id: str, *, for_update: bool = False
) -> HeldCertificate | None:
    return await session.get(HeldCertificate, certificate_id, with_for_update=for_update)


async def valid_tiers(session: AsyncSession, uscc: str) -> Sequence[str]:
    """The tiers of the certificates ``uscc`` holds that are neither revoked nor expired."""
    query = select(HeldCertificate.tier).where(
        HeldCertificate.uscc == uscc, HeldCertificate.status == "valid"
    )
    return (await session.execute(query)).scalars().all()


async def certificates(session: AsyncSession, uscc: str) -> Sequence[HeldCertificate]:
    query = (
        select(HeldCertificate)
        .where(HeldCertificate.uscc == uscc)
        .order_by(HeldCertificate.issued_on)
    )
    return (await session.execute(query)).scalars().all()


async def activity(session: AsyncSession, uscc: str) -> Sequence[EnterpriseActivity]:
    query = (
        select(EnterpriseActivity)
        .where(EnterpriseActivity.uscc == uscc)
        .order_by(EnterpriseActivity.occurred_at)
    )
    return (await session.execute(query)).scalars().all()


async def record_activity(
    session: AsyncSession,
    *,
    uscc: str | None,
    source_service: str,
    kind: str,
    event_id: str,
    occurred_at: datetime,
    summary: Mapping[str, Any],
) -> None:
    """Record what an event reported, once per event (a redelivery changes nothing)."""
    await session.execute(
        pg_insert(EnterpriseActivity)
        .values(
            uscc=uscc,
            source_service=source_service,
            kind=kind,
            event_id=event_id,
            occurred_at=occurred_at,
            summary=dict(summary),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
