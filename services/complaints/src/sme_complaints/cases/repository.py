"""Every query of the cases module; the caller's scope is a WHERE clause, never a filter after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import Principal, Role
from sme_complaints.cases.domain import ACCEPTING_DEPARTMENT, OPEN_STATUSES, CaseStatus
from sme_complaints.cases.models import CasePause, CaseStep, ComplaintCase

CHANNEL_ROLES = (Role.HOTLINE, Role.AGENCY_SYSTEM)


def channel_of(actor: Principal) -> str:
    """A machine client's channel: its client id (the token's subject when it has none)."""
    return actor.client_id or actor.subject


def scope_clause(actor: Principal) -> ColumnElement[bool]:
    """The hotline and agency systems see the cases their channel filed; officers the cases whose
    respondent is in their region; an enterprise the cases it filed as complainant."""
    if actor.is_machine:
        if not actor.has_role(*CHANNEL_ROLES):
            return false()
        return ComplaintCase.channel_id == channel_of(actor)
    return actor.region_scope().clause(
        ComplaintCase.region_code,
        ComplaintCase.reporting_unit_code,
        uscc_col=ComplaintCase.complainant_uscc,
    )


async def lock_work_order(session: AsyncSession, channel_id: str, work_order_no: str) -> None:
    """Serialise intakes of one work order (two deliveries of it at once are still one case)."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"complaint_work_order:{channel_id}:{work_order_no}"},
    )


async def by_work_order(
    session: AsyncSession, channel_id: str, work_order_no: str
) -> ComplaintCase | None:
    query = select(ComplaintCase).where(
        ComplaintCase.channel_id == channel_id, ComplaintCase.work_order_no == work_order_no
    )
    return (await session.execute(query)).scalar_one_or_none()


async def possible_duplicate(
    session: AsyncSession,
    *,
    complainant_uscc: str,
    respondent_name: str,
    signed_on: str,
    amount_fen: int,
) -> str | None:
    """An earlier case of the same complainant, respondent and contract (any channel)."""
    query = (
        select(ComplaintCase.id)
        .where(
            ComplaintCase.complainant_uscc == complainant_uscc,
            ComplaintCase.respondent_name == respondent_name,
            ComplaintCase.contract["signed_on"].astext == signed_on,
            ComplaintCase.contract["amount_fen"].as_integer() == amount_fen,
        )
        .order_by(ComplaintCase.created_at)
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get(
    session: AsyncSession, case_id: str, actor: Principal, *, for_update: bool = False
) -> ComplaintCase | None:
    query = select(ComplaintCase).where(ComplaintCase.id == case_id, scope_clause(actor))
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def find(
    session: AsyncSession,
    actor: Principal,
    *,
    status: CaseStatus | None,
    after: str | None,
    limit: int,
) -> Sequence[ComplaintCase]:
    query = select(ComplaintCase).where(scope_clause(actor))
    if status is not None:
        query = query.where(ComplaintCase.status == status.value)
    if after is not None:
        query = query.where(ComplaintCase.id > after)
    query = query.order_by(ComplaintCase.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()


def _held_by(department_id: str) -> ColumnElement[bool]:
    """The cases a department holds: the accepting department those waiting for acceptance or
    transfer, every department those transferred to it."""
    held = and_(
        ComplaintCase.department_id == department_id,
        ComplaintCase.status.in_((CaseStatus.TRANSFERRED.value, CaseStatus.IN_HANDLING.value)),
    )
    if department_id == ACCEPTING_DEPARTMENT:
        held = or_(
            held,
            ComplaintCase.status.in_((CaseStatus.RECEIVED.value, CaseStatus.ACCEPTED.value)),
        )
    return held


async def overdue_of_department(
    session: AsyncSession,
    actor: Principal,
    department_id: str,
    *,
    today: date,
    after: str | None,
    limit: int,
) -> Sequence[ComplaintCase]:
    query = select(ComplaintCase).where(
        scope_clause(actor),
        _held_by(department_id),
        ComplaintCase.due_on < today,
        ComplaintCase.paused_since.is_(None),
    )
    if after is not None:
        query = query.where(ComplaintCase.id > after)
    query = query.order_by(ComplaintCase.id).limit(limit + 1)
    return (await session.execute(query)).scalars().all()


async def newly_breached(session: AsyncSession, today: date, limit: int) -> Sequence[ComplaintCase]:
    """Open, running cases past their deadline and not yet marked (locked, skipping the ones
    another run holds)."""
    query = (
        select(ComplaintCase)
        .where(
            ComplaintCase.status.in_([s.value for s in OPEN_STATUSES]),
            ComplaintCase.due_on < today,
            ComplaintCase.breached_on.is_(None),
            ComplaintCase.paused_since.is_(None),
        )
        .order_by(ComplaintCase.due_on, ComplaintCase.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def due_soon(
    session: AsyncSession, today: date, until: date, limit: int
) -> Sequence[ComplaintCase]:
    """Open, running cases whose deadline falls between today and ``until`` and that were not
    reminded of it yet (locked, skipping the ones another run holds)."""
    query = (
        select(ComplaintCase)
        .where(
            ComplaintCase.status.in_([s.value for s in OPEN_STATUSES]),
            ComplaintCase.due_on >= today,
            ComplaintCase.due_on <= until,
            ComplaintCase.reminded_on.is_(None),
            ComplaintCase.paused_since.is_(None),
        )
        .order_by(ComplaintCase.due_on, ComplaintCase.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def open_pause(session: AsyncSession, case_id: str) -> CasePause | None:
    query = select(CasePause).where(CasePause.case_id == case_id, CasePause.ended_on.is_(None))
    return (await session.execute(query)).scalar_one_or_none()


async def steps(session: AsyncSession, case_id: str) -> Sequence[CaseStep]:
    query = select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.id)
    return (await session.execute(query)).scalars().all()


async def last_returned_by(session: AsyncSession, case_id: str) -> str | None:
    """The department that returned the case last (退单), if any."""
    query = (
        select(CaseStep.department_id)
        .where(CaseStep.case_id == case_id, CaseStep.action == "return")
        .order_by(CaseStep.id.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()
