"""Every query of the enterprise push. Who sees which push is part of the WHERE (the caller's
region scope over the push's region, or its USCC for an enterprise)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory as directory
from sme_finance_matching.certified import repository as certified
from sme_finance_matching.certified.models import CertifiedEnterprise
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.lists.models import ListSnapshot, SnapshotEntry
from sme_finance_matching.pushes.models import (
    EnterprisePush,
    EnterprisePushAck,
    EnterprisePushReadLog,
)
from sme_finance_matching.pushes.schemas import PushFilters


async def due(
    session: AsyncSession, *, period: str, today: date, scope: RegionScope, uscc: str | None
) -> list[str]:
    """USCCs of the titled enterprises in ``scope`` that finance-matching's directory knows (an
    enterprise not in it has no region yet: left out until it arrives, as in the snapshots) and
    that have no push for ``period``, in USCC order."""
    c, d = CertifiedEnterprise, directory.c
    pushed = exists().where(EnterprisePush.uscc == c.uscc, EnterprisePush.period == period)
    query = (
        select(c.uscc)
        .join(directory, d.uscc == c.uscc)
        .where(
            *certified.titled(today),
            scope.clause(d.region_code, d.reporting_unit_code, uscc_col=c.uscc),
            ~pushed,
        )
        .order_by(c.uscc)
    )
    if uscc is not None:
        query = query.where(c.uscc == uscc)
    return list((await session.scalars(query)).all())


async def holds_title(session: AsyncSession, uscc: str, today: date) -> bool:
    c = CertifiedEnterprise
    query = select(exists().where(c.uscc == uscc, *certified.titled(today)))
    return bool((await session.execute(query)).scalar_one())


async def listed(session: AsyncSession, usccs: Sequence[str], today: date) -> Sequence[Any]:
    """The list entries of these enterprises (still titled), with their place and industry."""
    c, d = CertifiedEnterprise, directory.c
    query = (
        select(*certified.listed_columns())
        .join(directory, d.uscc == c.uscc)
        .where(c.uscc.in_(usccs), *certified.titled(today))
        .order_by(c.uscc)
    )
    return (await session.execute(query)).mappings().all()


async def receivers(
    session: AsyncSession, *, since: datetime, before: datetime, usccs: Sequence[str] | None
) -> dict[str, list[tuple[str, str]]]:
    """For each enterprise, the institutions (name, kind) whose snapshots generated in
    ``[since, before)`` include it. One pass over the period's snapshot entries (``usccs`` narrows
    it for a push of a few enterprises)."""
    entry, snapshot = SnapshotEntry, ListSnapshot
    query = (
        select(entry.uscc, Institution.name, Institution.kind)
        .distinct()
        .join(snapshot, snapshot.id == entry.snapshot_id)
        .join(Institution, Institution.id == snapshot.institution_id)
        .where(snapshot.generated_at >= since, snapshot.generated_at < before)
    )
    if usccs is not None:
        query = query.where(entry.uscc.in_(usccs))
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for uscc, name, kind in (await session.execute(query)).all():
        found[uscc].append((name, kind))
    return found


async def institution_names(
    session: AsyncSession, institution_ids: Sequence[str]
) -> dict[str, tuple[str, str]]:
    query = select(Institution.id, Institution.name, Institution.kind).where(
        Institution.id.in_(institution_ids)
    )
    return {i: (name, kind) for i, name, kind in (await session.execute(query)).all()}


async def insert_pushes(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert the pushes; one already made for an enterprise and period (by a concurrent run) is
    left as it is. The ids actually inserted."""
    if not rows:
        return set()
    statement = insert(EnterprisePush).values(list(rows)).on_conflict_do_nothing()
    result = await session.execute(statement.returning(EnterprisePush.id))
    return set(result.scalars().all())


def visible(scope: RegionScope) -> Any:
    """Officers: the pushes of their region; an enterprise: its own."""
    p = EnterprisePush
    return scope.clause(p.region_code, p.reporting_unit_code, uscc_col=p.uscc)


async def get(session: AsyncSession, push_id: str, where: Any) -> EnterprisePush | None:
    query = select(EnterprisePush).where(EnterprisePush.id == push_id, where)
    return (await session.scalars(query)).first()


_SUMMARY_COLUMNS = [
    c for c in EnterprisePush.__table__.columns if c.name not in ("content", "requested_by")
]


async def find(
    session: AsyncSession, where: Any, filters: PushFilters, *, before: int | None
) -> Sequence[Any]:
    """Pushes newest first (without their content), ``limit + 1`` rows."""
    p = EnterprisePush
    query = select(*_SUMMARY_COLUMNS).where(where)
    if filters.uscc is not None:
        query = query.where(p.uscc == filters.uscc)
    if filters.period is not None:
        query = query.where(p.period == filters.period)
    if filters.acknowledged is not None:
        acked = exists().where(EnterprisePushAck.push_id == p.id)
        query = query.where(acked if filters.acknowledged else ~acked)
    if before is not None:
        query = query.where(p.seq < before)
    return (await session.execute(query.order_by(p.seq.desc()).limit(filters.limit + 1))).all()


async def acks(session: AsyncSession, push_ids: Sequence[str]) -> dict[str, EnterprisePushAck]:
    rows = await session.scalars(
        select(EnterprisePushAck).where(EnterprisePushAck.push_id.in_(push_ids))
    )
    return {a.push_id: a for a in rows}


async def first_reads(session: AsyncSession, push_ids: Sequence[str]) -> dict[str, datetime]:
    log = EnterprisePushReadLog
    query = (
        select(log.push_id, func.min(log.read_at))
        .where(log.push_id.in_(push_ids), log.kind == "read")
        .group_by(log.push_id)
    )
    return {str(row[0]): row[1] for row in (await session.execute(query)).all()}


async def acknowledge(
    session: AsyncSession, *, push_id: str, uscc: str, at: datetime, by: str
) -> None:
    """The read receipt, once: a second acknowledgement keeps the first."""
    await session.execute(
        insert(EnterprisePushAck)
        .values(push_id=push_id, uscc=uscc, acknowledged_at=at, acknowledged_by=by)
        .on_conflict_do_nothing()
    )


async def log_reads(
    session: AsyncSession,
    *,
    push_ids: Sequence[str],
    uscc: str,
    kind: str,
    subject: str,
    at: datetime,
) -> None:
    if not push_ids:
        return
    await session.execute(
        insert(EnterprisePushReadLog).values(
            [
                {"push_id": i, "uscc": uscc, "kind": kind, "subject": subject, "read_at": at}
                for i in push_ids
            ]
        )
    )


async def reads(session: AsyncSession, uscc: str) -> Sequence[EnterprisePushReadLog]:
    query = (
        select(EnterprisePushReadLog)
        .where(EnterprisePushReadLog.uscc == uscc)
        .order_by(EnterprisePushReadLog.id)
    )
    return (await session.scalars(query)).all()
