"""Queries over yearly facts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.facts.models import EnterpriseFacts


async def get(
    session: AsyncSession, uscc: str, year: int, *, for_update: bool = False
) -> EnterpriseFacts | None:
    return await session.get(EnterpriseFacts, (uscc, year), with_for_update=for_update)


async def latest(session: AsyncSession, uscc: str, *, years: int = 1) -> Sequence[EnterpriseFacts]:
    """The last ``years`` years filed, newest first."""
    query = (
        select(EnterpriseFacts)
        .where(EnterpriseFacts.uscc == uscc)
        .order_by(EnterpriseFacts.year.desc())
        .limit(years)
    )
    return (await session.execute(query)).scalars().all()


async def every_year(session: AsyncSession, uscc: str) -> Sequence[EnterpriseFacts]:
    query = (
        select(EnterpriseFacts).where(EnterpriseFacts.uscc == uscc).order_by(EnterpriseFacts.year)
    )
    return (await session.execute(query)).scalars().all()
