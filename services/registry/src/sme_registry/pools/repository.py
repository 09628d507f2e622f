"""Queries over pool entries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.pools.models import PoolEntry


async def open_entries(session: AsyncSession, uscc: str) -> dict[str, PoolEntry]:
    """The pools ``uscc`` is in now, by pool."""
    query = select(PoolEntry).where(PoolEntry.uscc == uscc, PoolEntry.left_on.is_(None))
    return {row.pool: row for row in (await session.execute(query)).scalars().all()}


async def path(session: AsyncSession, uscc: str) -> Sequence[PoolEntry]:
    """Every entry of ``uscc``, open or left, in the order it entered."""
    query = (
        select(PoolEntry)
        .where(PoolEntry.uscc == uscc)
        .order_by(PoolEntry.entered_on, PoolEntry.recorded_at)
    )
    return (await session.execute(query)).scalars().all()
