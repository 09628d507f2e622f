"""Queries over the size class decisions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.sizing.models import SizeClassRecord


async def latest_decision(
    session: AsyncSession, uscc: str, *, before: datetime | None = None
) -> SizeClassRecord | None:
    """The last decision for ``uscc`` (made before ``before``, when given)."""
    query = select(SizeClassRecord).where(SizeClassRecord.uscc == uscc)
    if before is not None:
        query = query.where(SizeClassRecord.decided_at < before)
    query = query.order_by(SizeClassRecord.decided_at.desc(), SizeClassRecord.id.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()
