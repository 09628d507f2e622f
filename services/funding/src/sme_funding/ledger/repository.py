"""Every query of the ledger module."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.ledger.models import JournalEntry, JournalLine


def entry_scope(scope: RegionScope) -> ColumnElement[bool]:
    return scope.clause(JournalEntry.province_code, JournalEntry.province_code)


def line_scope(scope: RegionScope) -> ColumnElement[bool]:
    return scope.clause(JournalLine.region_code, JournalLine.region_code)


async def entry_exists(session: AsyncSession, operation_key: str) -> bool:
    query = select(JournalEntry.id).where(JournalEntry.operation_key == operation_key)
    return (await session.execute(query)).first() is not None


async def insert_entry(session: AsyncSession, values: dict[str, object]) -> int:
    result = await session.execute(insert(JournalEntry).values(**values).returning(JournalEntry.id))
    return int(result.scalar_one())


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, object]]) -> None:
    await session.execute(insert(JournalLine), list(rows))


async def balances(
    session: AsyncSession,
    scope: RegionScope | None,
    *,
    fund_id: str | None = None,
    region_code: str | None = None,
    account: str | None = None,
) -> Sequence[tuple[str, str, str, int, int]]:
    """(fund_id, region_code, account, debits, credits) of every account."""
    query = select(
        JournalLine.fund_id,
        JournalLine.region_code,
        JournalLine.account,
        func.sum(JournalLine.debit_fen),
        func.sum(JournalLine.credit_fen),
    ).group_by(JournalLine.fund_id, JournalLine.region_code, JournalLine.account)
    if scope is not None:
        query = query.where(line_scope(scope))
    if fund_id is not None:
        query = query.where(JournalLine.fund_id == fund_id)
    if region_code is not None:
        query = query.where(JournalLine.region_code == region_code)
    if account is not None:
        query = query.where(JournalLine.account == account)
    rows = await session.execute(query.order_by(*query.selected_columns[:3]))
    return [(f, r, a, int(d), int(c)) for f, r, a, d, c in rows]


async def unbalanced_entries(session: AsyncSession) -> Sequence[tuple[int, int, int, int]]:
    """(entry id, debits, credits, lines) of every entry that does not balance or has fewer than
    two lines."""
    debit = func.coalesce(func.sum(JournalLine.debit_fen), 0)
    credit = func.coalesce(func.sum(JournalLine.credit_fen), 0)
    lines = func.count(JournalLine.id)
    query = (
        select(JournalEntry.id, debit, credit, lines)
        .outerjoin(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .group_by(JournalEntry.id)
        .having((debit != credit) | (lines < 2))
        .order_by(JournalEntry.id)
    )
    return [(int(i), int(d), int(c), int(n)) for i, d, c, n in await session.execute(query)]


async def find_entries(
    session: AsyncSession,
    scope: RegionScope,
    *,
    after: int,
    limit: int,
    fund_id: str | None,
    subject_ref: str | None,
    kind: str | None,
) -> Sequence[JournalEntry]:
    query = select(JournalEntry).where(entry_scope(scope), JournalEntry.id > after)
    if fund_id is not None:
        query = query.where(JournalEntry.fund_id == fund_id)
    if subject_ref is not None:
        query = query.where(JournalEntry.subject_ref == subject_ref)
    if kind is not None:
        query = query.where(JournalEntry.kind == kind)
    return (await session.scalars(query.order_by(JournalEntry.id).limit(limit + 1))).all()


async def lines_of(session: AsyncSession, entry_ids: Sequence[int]) -> Sequence[JournalLine]:
    query = select(JournalLine).where(JournalLine.entry_id.in_(entry_ids))
    return (await session.scalars(query.order_by(JournalLine.id))).all()
