"""Every query of the needs module; who sees which need is part of the WHERE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_finance_matching.needs.models import FinancingNeed, NeedMatch
from sme_finance_matching.needs.schemas import NeedFilters


def visible(*, scope: RegionScope, institution_id: str | None) -> Any:
    """An institution's client sees the needs addressed to its institution or matched to its
    products, and no other; officers their region; an enterprise its own."""
    if institution_id is not None:
        matched = exists().where(
            NeedMatch.need_id == FinancingNeed.id, NeedMatch.institution_id == institution_id
        )
        return or_(FinancingNeed.addressed_institution_ids.contains([institution_id]), matched)
    return scope.clause(
        FinancingNeed.region_code, FinancingNeed.reporting_unit_code, uscc_col=FinancingNeed.uscc
    )


async def get(
    session: AsyncSession, need_id: str, where: Any, *, for_update: bool = False
) -> FinancingNeed | None:
    query = select(FinancingNeed).where(FinancingNeed.id == need_id, where)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def find(
    session: AsyncSession, where: Any, filters: NeedFilters, *, after: str | None
) -> Sequence[FinancingNeed]:
    query = select(FinancingNeed).where(where)
    if filters.status is not None:
        query = query.where(FinancingNeed.status == filters.status.value)
    if filters.uscc is not None:
        query = query.where(FinancingNeed.uscc == filters.uscc)
    if after is not None:
        query = query.where(FinancingNeed.id > after)
    return (await session.scalars(query.order_by(FinancingNeed.id).limit(filters.limit + 1))).all()


async def replace_matches(
    session: AsyncSession,
    need_id: str,
    matches: Sequence[tuple[str, str, int]],
    *,
    weights_version: str,
    matched_at: datetime,
) -> None:
    """The need's eligible products are now ``matches`` ((product, institution, score))."""
    await session.execute(delete(NeedMatch).where(NeedMatch.need_id == need_id))
    for product_id, institution_id, score in matches:
        session.add(
            NeedMatch(
                need_id=need_id,
                product_id=product_id,
                institution_id=institution_id,
                score=score,
                weights_version=weights_version,
                matched_at=matched_at,
            )
        )
    await session.flush()


async def matched_products(session: AsyncSession, need_id: str) -> set[str]:
    query = select(NeedMatch.product_id).where(NeedMatch.need_id == need_id)
    return set((await session.scalars(query)).all())


async def matches_of_institution(
    session: AsyncSession, institution_id: str, *, after: tuple[str, str] | None, limit: int
) -> Sequence[NeedMatch]:
    """The eligible (need, product) pairs of one institution, in (need, product) order: what a
    feedback or list helper reads for that institution."""
    query = select(NeedMatch).where(NeedMatch.institution_id == institution_id)
    if after is not None:
        query = query.where(
            or_(
                NeedMatch.need_id > after[0],
                (NeedMatch.need_id == after[0]) & (NeedMatch.product_id > after[1]),
            )
        )
    query = query.order_by(NeedMatch.need_id, NeedMatch.product_id).limit(limit)
    return (await session.scalars(query)).all()
