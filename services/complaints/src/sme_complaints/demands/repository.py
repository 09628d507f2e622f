"""Every query of the demands ledger; the caller's scope is a WHERE clause, never a filter after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, case, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import Principal, Role
from sme_complaints.demands.domain import OPEN_STATUSES, DemandStatus
from sme_complaints.demands.models import DemandStepRow, EnterpriseDemand

_OPEN = [s.value for s in OPEN_STATUSES]


def channel_of(actor: Principal) -> str:
    return actor.client_id or actor.subject


def scope_clause(actor: Principal) -> ColumnElement[bool]:
    """The hotline sees the demands its channel recorded; officers the demands of enterprises in
    their region; an enterprise its own."""
    if actor.is_machine:
        if not actor.has_role(Role.HOTLINE):
            return false()
        return EnterpriseDemand.channel_id == channel_of(actor)
    return actor.region_scope().clause(
        EnterpriseDemand.region_code,
        EnterpriseDemand.reporting_unit_code,
        uscc_col=EnterpriseDemand.uscc,
    )


async def by_work_order(
    session: AsyncSession, channel_id: str, work_order_no: str
) -> EnterpriseDemand | None:
    query = select(EnterpriseDemand).where(
        EnterpriseDemand.channel_id == channel_id, EnterpriseDemand.work_order_no == work_order_no
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get(
    session: AsyncSession, demand_id: str, actor: Principal, *, for_update: bool = False
) -> EnterpriseDemand | None:
    query = select(EnterpriseDemand).where(EnterpriseDemand.id == demand_id, scope_clause(actor))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def find(
    session: AsyncSession,
    actor: Principal,
    *,
    status: DemandStatus | None,
    topic_code: str | None,
    department_id: str | None,
    after: str | None,
    limit: int,
) -> Sequence[EnterpriseDemand]:
    query = select(EnterpriseDemand).where(scope_clause(actor))
    if status is not None:
        query = query.where(EnterpriseDemand.status == status.value)
    if topic_code is not None:
        query = query.where(EnterpriseDemand.topic_code == topic_code)
    if department_id is not None:
        query = query.where(EnterpriseDemand.department_id == department_id)
    if after is not None:
        query = query.where(EnterpriseDemand.id > after)
    query = query.order_by(EnterpriseDemand.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(EnterpriseDemand.status.in_(_OPEN), EnterpriseDemand.due_on < today)


async def summary(
    session: AsyncSession, actor: Principal, *, by_department: bool, today: date
) -> list[tuple[str | None, int, int, int]]:
    """(key, open, overdue, closed) per 市州 or per department, in the caller's scope."""
    key = EnterpriseDemand.department_id if by_department else EnterpriseDemand.reporting_unit_code
    query = (
        select(
            key,
            func.count().filter(EnterpriseDemand.status.in_(_OPEN)),
            func.count().filter(_overdue(today)),
            func.count().filter(EnterpriseDemand.status == DemandStatus.CLOSED.value),
        )
        .where(scope_clause(actor))
        .group_by(key)
        .order_by(case((key.is_(None), 1), else_=0), key)
    )
    rows = (await session.execute(query)).all()
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]


async def overdue_of_department(
    session: AsyncSession,
    actor: Principal,
    department_id: str,
    *,
    today: date,
    after: str | None,
    limit: int,
) -> Sequence[EnterpriseDemand]:
    """The demands a department holds (assigned to it) past their deadline today."""
    query = select(EnterpriseDemand).where(
        scope_clause(actor),
        EnterpriseDemand.department_id == department_id,
        EnterpriseDemand.status == DemandStatus.ASSIGNED.value,
        EnterpriseDemand.due_on < today,
    )
    if after is not None:
        query = query.where(EnterpriseDemand.id > after)
    query = query.order_by(EnterpriseDemand.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()


async def newly_breached(
    session: AsyncSession, today: date, limit: int
) -> Sequence[EnterpriseDemand]:
    query = (
        select(EnterpriseDemand)
        .where(
            EnterpriseDemand.status.in_(_OPEN),
            EnterpriseDemand.due_on < today,
            EnterpriseDemand.breached_on.is_(None),
        )
        .order_by(EnterpriseDemand.due_on, EnterpriseDemand.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def due_soon(
    session: AsyncSession, today: date, until: date, limit: int
) -> Sequence[EnterpriseDemand]:
    query = (
        select(EnterpriseDemand)
        .where(
            EnterpriseDemand.status.in_(_OPEN),
            EnterpriseDemand.due_on >= today,
            EnterpriseDemand.due_on <= until,
            EnterpriseDemand.reminded_on.is_(None),
        )
        .order_by(EnterpriseDemand.due_on, EnterpriseDemand.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def steps(session: AsyncSession, demand_id: str) -> Sequence[DemandStepRow]:
    query = (
        select(DemandStepRow).where(DemandStepRow.demand_id == demand_id).order_by(DemandStepRow.id)
    )
    return (await session.execute(query)).scalars().all()
