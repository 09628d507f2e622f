"""Queries over the reference tables."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.reference.models import ReferenceIndustrySection, ReferenceRegion


async def regions(session: AsyncSession, *, parent_code: str | None) -> list[ReferenceRegion]:
    query = select(ReferenceRegion).order_by(ReferenceRegion.code)
    if parent_code is not None:
        query = query.where(ReferenceRegion.parent_code == parent_code)
    return list((await session.execute(query)).scalars())


async def industry_sections(session: AsyncSession) -> list[ReferenceIndustrySection]:
    query = select(ReferenceIndustrySection).order_by(ReferenceIndustrySection.code)
    return list((await session.execute(query)).scalars())
