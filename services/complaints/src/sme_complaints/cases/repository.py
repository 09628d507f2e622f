"""Every query of the cases module; the caller's scope is a WHERE clause, never a filter after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    Text,
    and_,
    bindparam,
    false,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
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


@dataclass(frozen=True)
class IntakeLookup:
    """What intake reads before it files: the case the channel already filed under the work
    order, and an earlier case of the same complaint from any channel."""

    filed_id: str | None
    possible_duplicate_of: str | None


# One round trip for intake's two reads (the channel's work order, its unique key; the possible
# duplicate: same complainant, respondent and contract). Fixed text: prepared once per connection.
# The amount is compared as a bigint: contracts reach 10^15 fen, past an integer's range.
_INTAKE_LOOKUP = text(
    """
    SELECT filed.id,
           (SELECT earlier.id FROM complaint_case AS earlier
             WHERE earlier.complainant_uscc = :complainant_uscc
               AND earlier.respondent_name = :respondent_name
               AND earlier.contract ->> 'signed_on' = :signed_on
               AND CAST(earlier.contract ->> 'amount_fen' AS bigint) = :amount_fen
             ORDER BY earlier.created_at LIMIT 1)
      FROM (SELECT 1) AS one
      LEFT JOIN complaint_case AS filed
        ON filed.channel_id = :channel_id AND filed.work_order_no = :work_order_no
    """
).bindparams(
    bindparam("complainant_uscc", type_=Text),
    bindparam("respondent_name", type_=Text),
    bindparam("signed_on", type_=Text),
    bindparam("amount_fen", type_=BigInteger),
    bindparam("channel_id", type_=Text),
    bindparam("work_order_no", type_=Text),
)


async def intake_lookup(
    session: AsyncSession,
    *,
    channel_id: str,
    work_order_no: str | None,
    complainant_uscc: str,
    respondent_name: str,
    signed_on: str,
    amount_fen: int,
) -> IntakeLookup:
    """The channel's case under ``work_order_no`` (none without one) and an earlier case of the
    same complainant, respondent and contract (any channel), in one statement."""
    row = (
        await session.execute(
            _INTAKE_LOOKUP,
            {
                "complainant_uscc": complainant_uscc,
                "respondent_name": respondent_name,
                "signed_on": signed_on,
                "amount_fen": amount_fen,
                "channel_id": channel_id,
                "work_order_no": work_order_no,
            },
        )
    ).one()
    return IntakeLookup(filed_id=row[0], possible_duplicate_of=row[1])


_CASE = cast(Table, ComplaintCase.__table__)
_STEP = cast(Table, CaseStep.__table__)
_FILED = (
    pg_insert(_CASE)
    .values({c.key: bindparam(c.key, type_=c.type) for c in _CASE.columns})
    .on_conflict_do_nothing(index_elements=[_CASE.c.channel_id, _CASE.c.work_order_no])
    .returning(_CASE.c.id, _CASE.c.version)
    .cte("filed")
)
_STEP_FIELDS = (
    "action",
    "from_status",
    "to_status",
    "department_id",
    "details",
    "acted_on",
    "acted_at",
    "acted_by",
)
# The case and its first step in one statement; the case's insert does nothing when the channel
# already filed the work order (its unique key), and then neither row is written. The audit's
# statement triggers capture both rows, the case first (as a flush of the two would).
_FILE_CASE = (
    insert(_STEP)
    .from_select(
        ["case_id", "version", *_STEP_FIELDS],
        select(
            _FILED.c.id,
            _FILED.c.version,
            *(bindparam(f"step_{name}", type_=_STEP.c[name].type) for name in _STEP_FIELDS),
        ),
    )
    .returning(_STEP.c.case_id)
)


async def insert_filed_case(session: AsyncSession, case: ComplaintCase, step: CaseStep) -> bool:
    """Insert a new case (every column from ``case``) and its first ``step`` (at the case's
    version); False, writing nothing, when the case's channel already has a case under its work
    order (a concurrent intake of it committed first: PostgreSQL waits for that one to end)."""
    values: dict[str, Any] = {c.key: getattr(case, c.key) for c in _CASE.columns}
    values.update({f"step_{name}": getattr(step, name) for name in _STEP_FIELDS})
    inserted = (await session.execute(_FILE_CASE, values)).scalar_one_or_none()
    return inserted is not None


async def by_work_order(
    session: AsyncSession, channel_id: str, work_order_no: str
) -> ComplaintCase | None:
    query = select(ComplaintCase).where(
        ComplaintCase.channel_id == channel_id, ComplaintCase.work_order_no == work_order_no
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
