"""Queries over service people and their assignments; people are region-scoped in the query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Row, and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.repository import in_scope as enterprise_in_scope
from sme_registry.people.models import ServiceAssignment, ServicePerson
from sme_registry.pools.domain import Tier


def _in_scope(scope: RegionScope) -> ColumnElement[bool]:
    return scope.clause(ServicePerson.region_code, ServicePerson.reporting_unit_code)


async def person(session: AsyncSession, person_id: str, scope: RegionScope) -> ServicePerson | None:
    query = select(ServicePerson).where(ServicePerson.id == person_id, _in_scope(scope))
    return (await session.execute(query)).scalar_one_or_none()


async def people(
    session: AsyncSession, scope: RegionScope, *, role: str | None
) -> Sequence[ServicePerson]:
    query = select(ServicePerson).where(_in_scope(scope))
    if role:
        query = query.where(ServicePerson.role == role)
    return (await session.execute(query.order_by(ServicePerson.id))).scalars().all()


async def serves(session: AsyncSession, person_id: str, uscc: str) -> bool:
    """Whether ``person_id`` has an open assignment to ``uscc``."""
    query = select(ServiceAssignment.id).where(
        ServiceAssignment.person_id == person_id,
        ServiceAssignment.uscc == uscc,
        ServiceAssignment.ended_on.is_(None),
    )
    return (await session.execute(query)).first() is not None


def is_duplicate_open_assignment(exc: IntegrityError) -> bool:
    """The insert hit the open-assignment index: the person already serves the enterprise."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    return constraint == "uq_service_assignment_open"


async def assignment(
    session: AsyncSession, assignment_id: str, *, for_update: bool = False
) -> ServiceAssignment | None:
    return await session.get(ServiceAssignment, assignment_id, with_for_update=for_update)


async def serving(session: AsyncSession, uscc: str) -> Sequence[ServicePerson]:
    """The people with an open assignment to ``uscc``, by role and name."""
    query = (
        select(ServicePerson)
        .join(ServiceAssignment, ServiceAssignment.person_id == ServicePerson.id)
        .where(ServiceAssignment.uscc == uscc, ServiceAssignment.ended_on.is_(None))
        .order_by(ServicePerson.role, ServicePerson.name)
    )
    return (await session.execute(query)).scalars().all()


async def serving_since(session: AsyncSession, uscc: str) -> Sequence[tuple[ServicePerson, date]]:
    """(person, assigned_on) of every open assignment to ``uscc``: what the
    ``service-people-changed`` event announces."""
    query = (
        select(ServicePerson, ServiceAssignment.assigned_on)
        .join(ServiceAssignment, ServiceAssignment.person_id == ServicePerson.id)
        .where(ServiceAssignment.uscc == uscc, ServiceAssignment.ended_on.is_(None))
        .order_by(ServicePerson.role, ServicePerson.name, ServicePerson.id)
    )
    return [(person, assigned_on) for person, assigned_on in await session.execute(query)]


async def little_giants_without_commissioner(
    session: AsyncSession, scope: RegionScope
) -> Sequence[Row[str, str, str]]:
    """(uscc, name, region_code) of 小巨人 enterprises in ``scope`` that no active service
    commissioner serves, by region and USCC."""
    covered = exists().where(
        and_(
            ServiceAssignment.uscc == Enterprise.uscc,
            ServiceAssignment.ended_on.is_(None),
            ServicePerson.id == ServiceAssignment.person_id,
            ServicePerson.role == "service_commissioner",
            ServicePerson.active.is_(True),
        )
    )
    query = (
        select(Enterprise.uscc, Enterprise.name, Enterprise.region_code)
        .where(enterprise_in_scope(scope), Enterprise.tier == Tier.LITTLE_GIANT.value, ~covered)
        .order_by(Enterprise.region_code, Enterprise.uscc)
    )
    return (await session.execute(query)).all()
