"""Queries on enterprises. Region scope is always part of the WHERE clause."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    RowMapping,
    Text,
    and_,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from sme_common.auth.principal import RegionScope
from sme_common.events.tables import outbox_message
from sme_common.text import fold
from sme_registry.enterprises.models import Enterprise, EnterpriseChangeScope, EnterpriseRevision
from sme_registry.enterprises.schemas import EnterpriseFilters, EnterpriseRead
from sme_registry.flags.models import CreditFlag
from sme_registry.pools.models import PoolEntry


def in_scope(scope: RegionScope) -> ColumnElement[bool]:
    return scope.clause(
        Enterprise.region_code, Enterprise.reporting_unit_code, uscc_col=Enterprise.uscc
    )


async def get(session: AsyncSession, uscc: str, scope: RegionScope) -> Enterprise | None:
    result = await session.execute(
        select(Enterprise).where(Enterprise.uscc == uscc, in_scope(scope))
    )
    return result.scalar_one_or_none()


async def by_uscc(
    session: AsyncSession, uscc: str, *, for_update: bool = False
) -> Enterprise | None:
    """The enterprise whatever its region: for event handlers, which act for the platform."""
    return await session.get(Enterprise, uscc, with_for_update=for_update)


async def current_row(
    reader: AsyncSession | AsyncConnection, uscc: str, scope: RegionScope
) -> RowMapping | None:
    table = Enterprise.__table__
    result = await reader.execute(select(table).where(table.c.uscc == uscc, in_scope(scope)))
    return result.mappings().first()


async def get_for_update(session: AsyncSession, uscc: str, scope: RegionScope) -> Enterprise | None:
    """The row, locked: changes of one enterprise serialise here, which keeps its events in order."""
    result = await session.execute(
        select(Enterprise).where(Enterprise.uscc == uscc, in_scope(scope)).with_for_update()
    )
    return result.scalar_one_or_none()


async def exists_uscc(session: AsyncSession, uscc: str) -> bool:
    result = await session.execute(select(Enterprise.uscc).where(Enterprise.uscc == uscc))
    return result.first() is not None


def is_duplicate_enterprise(exc: IntegrityError) -> bool:
    """The insert hit the enterprise's primary key: the USCC is already registered."""
    diag = getattr(exc.orig, "diag", None)
    return getattr(diag, "constraint_name", None) == "pk_enterprise"


def snapshot(enterprise: Enterprise) -> dict[str, Any]:
    """A version as it is kept: the entry as ``GET /enterprises/{uscc}`` answers it."""
    return EnterpriseRead.model_validate(enterprise).model_dump(mode="json")


def record_revision(
    session: AsyncSession, enterprise: Enterprise, change_type: str, actor: str, at: datetime
) -> None:
    """Keep this version of the enterprise (history and as-of reads). Call after every change."""
    session.add(
        EnterpriseRevision(
            uscc=enterprise.uscc,
            version=enterprise.version,
            change_type=change_type,
            snapshot=snapshot(enterprise),
            recorded_at=at,
            recorded_by=actor,
        )
    )


def record_new_version(
    session: AsyncSession, enterprise: Enterprise, change_type: str, actor: str, at: datetime
) -> None:
    """The changed enterprise becomes its next version, which is kept. The caller holds the row
    locked (``get_for_update``), so versions of one enterprise never interleave."""
    enterprise.version += 1
    enterprise.updated_at = at
    enterprise.updated_by = actor
    record_revision(session, enterprise, change_type, actor, at)


async def revision_as_of(
    session: AsyncSession, uscc: str, before: datetime
) -> EnterpriseRevision | None:
    result = await session.execute(
        select(EnterpriseRevision)
        .where(EnterpriseRevision.uscc == uscc, EnterpriseRevision.recorded_at < before)
        .order_by(EnterpriseRevision.version.desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def revisions(session: AsyncSession, uscc: str) -> Sequence[EnterpriseRevision]:
    result = await session.execute(
        select(EnterpriseRevision)
        .where(EnterpriseRevision.uscc == uscc)
        .order_by(EnterpriseRevision.version)
    )
    return result.scalars().all()


def filter_clauses(filters: EnterpriseFilters, today: date) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if filters.region_code:
        clauses.append(Enterprise.region_code == filters.region_code)
    if filters.reporting_unit_code:
        clauses.append(Enterprise.reporting_unit_code == filters.reporting_unit_code)
    if filters.industry:
        clauses.append(Enterprise.industry_code.startswith(filters.industry))
    if filters.size_class:
        clauses.append(Enterprise.size_class == filters.size_class)
    if filters.tier:
        clauses.append(Enterprise.tier == filters.tier)
    if filters.operating_status:
        clauses.append(Enterprise.operating_status == filters.operating_status)
    if filters.updated_since:
        clauses.append(Enterprise.updated_at >= filters.updated_since)
    if filters.pool:
        clauses.append(
            exists().where(
                PoolEntry.uscc == Enterprise.uscc,
                PoolEntry.pool == filters.pool,
                PoolEntry.left_on.is_(None),
            )
        )
    if filters.flag:
        active = or_(CreditFlag.ended_on.is_(None), CreditFlag.ended_on > today)
        kind = CreditFlag.kind == filters.flag if filters.flag != "any" else literal(True)
        clauses.append(
            exists().where(
                CreditFlag.uscc == Enterprise.uscc, kind, CreditFlag.started_on <= today, active
            )
        )
    if filters.q:
        # Substring search on the folded name (兰州示例(集团) finds 兰州示例（集团）): the trigram
        # index serves three characters and more; two-character queries (common for Chinese place
        # and brand names) use the bigram index. Folding again is harmless for a folded q.
        q = fold(filters.q)
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append(Enterprise.name_folded.like(pattern))
        if len(q) == 2:
            clauses.append(
                func.sme_bigrams(Enterprise.name_folded, type_=ARRAY(Text)).contains([q])
            )
    return clauses


async def search(
    session: AsyncSession,
    scope: RegionScope,
    filters: EnterpriseFilters,
    *,
    limit: int,
    after: str | None,
    today: date,
) -> Sequence[Enterprise]:
    """Up to ``limit + 1`` enterprises after the USCC ``after``, in USCC order (the extra one says
    whether another page follows)."""
    query = select(Enterprise).where(in_scope(scope), *filter_clauses(filters, today))
    if after:
        query = query.where(Enterprise.uscc > after)
    return (await session.execute(query.order_by(Enterprise.uscc).limit(limit + 1))).scalars().all()


async def changes(
    session: AsyncSession,
    scope: RegionScope,
    *,
    after_position: int,
    limit: int,
    since: datetime | None,
    event_types: list[str],
) -> Sequence[Row[Any]]:
    # A change is seen where it happened: in the region the enterprise was in before it or the
    # one it is in after it (a move is seen by both), never by where the enterprise is today.
    change = EnterpriseChangeScope
    conditions = [
        outbox_message.c.feed_position > after_position,
        outbox_message.c.event_type.in_(event_types),
        or_(
            scope.clause(
                change.region_code_before, change.reporting_unit_code_before, uscc_col=change.uscc
            ),
            scope.clause(
                change.region_code_after, change.reporting_unit_code_after, uscc_col=change.uscc
            ),
        ),
    ]
    if since is not None:
        conditions.append(outbox_message.c.created_at >= since)
    query = (
        select(
            outbox_message.c.feed_position,
            outbox_message.c.event_type,
            outbox_message.c.key,
            outbox_message.c.created_at,
            outbox_message.c.event_id,
            outbox_message.c.payload,
            change.region_code_before,
            change.reporting_unit_code_before,
            change.region_code_after,
            change.reporting_unit_code_after,
        )
        .join(change, change.event_id == outbox_message.c.event_id)
        .where(and_(*conditions))
        .order_by(outbox_message.c.feed_position)
        .limit(limit)
    )
    return (await session.execute(query)).all()
