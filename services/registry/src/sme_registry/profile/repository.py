"""The reads a profile is made of, each limited to one enterprise."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.activity.models import EnterpriseActivity, HeldCertificate
from sme_registry.facts.models import EnterpriseFacts
from sme_registry.flags.models import CreditFlag
from sme_registry.people.models import ServiceAssignment, ServicePerson
from sme_registry.pools.models import PoolEntry
from sme_registry.sizing.models import SizeClassRecord


async def latest_two_facts(session: AsyncSession, uscc: str) -> Sequence[EnterpriseFacts]:
    query = (
        select(EnterpriseFacts)
        .where(EnterpriseFacts.uscc == uscc)
        .order_by(EnterpriseFacts.year.desc())
        .limit(2)
    )
    return (await session.execute(query)).scalars().all()


async def latest_size_class(session: AsyncSession, uscc: str) -> SizeClassRecord | None:
    query = (
        select(SizeClassRecord)
        .where(SizeClassRecord.uscc == uscc)
        .order_by(SizeClassRecord.decided_at.desc(), SizeClassRecord.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def pool_entries(session: AsyncSession, uscc: str) -> Sequence[PoolEntry]:
    query = (
        select(PoolEntry)
        .where(PoolEntry.uscc == uscc)
        .order_by(PoolEntry.entered_on, PoolEntry.recorded_at)
    )
    return (await session.execute(query)).scalars().all()


async def credit_flags(session: AsyncSession, uscc: str) -> Sequence[CreditFlag]:
    query = select(CreditFlag).where(CreditFlag.uscc == uscc).order_by(CreditFlag.started_on)
    return (await session.execute(query)).scalars().all()


async def held_certificates(session: AsyncSession, uscc: str) -> Sequence[HeldCertificate]:
    query = (
        select(HeldCertificate)
        .where(HeldCertificate.uscc == uscc)
        .order_by(HeldCertificate.issued_on)
    )
    return (await session.execute(query)).scalars().all()


async def active_service_people(session: AsyncSession, uscc: str) -> Sequence[ServicePerson]:
    query = (
        select(ServicePerson)
        .join(ServiceAssignment, ServiceAssignment.person_id == ServicePerson.id)
        .where(ServiceAssignment.uscc == uscc, ServiceAssignment.ended_on.is_(None))
    )
    return (await session.execute(query)).scalars().all()


async def activity(session: AsyncSession, uscc: str) -> Sequence[EnterpriseActivity]:
    query = (
        select(EnterpriseActivity)
        .where(EnterpriseActivity.uscc == uscc)
        .order_by(EnterpriseActivity.occurred_at)
    )
    return (await session.execute(query)).scalars().all()
