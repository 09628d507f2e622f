"""Every query of the batches module."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.batches.models import Batch
from sme_certification.batches.schemas import BatchFilters


async def get(session: AsyncSession, batch_id: str, *, for_update: bool = False) -> Batch | None:
    query = select(Batch).where(Batch.id == batch_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def find(session: AsyncSession, filters: BatchFilters) -> Sequence[Batch]:
    query = select(Batch)
    if filters.tier is not None:
        query = query.where(Batch.tier == filters.tier.value)
    if filters.level is not None:
        query = query.where(Batch.level == filters.level.value)
    if filters.year is not None:
        query = query.where(Batch.year == filters.year)
    if filters.status is not None:
        query = query.where(Batch.status == filters.status.value)
    return (await session.scalars(query.order_by(Batch.year.desc(), Batch.id))).all()
