"""Every query of the feedback module; who sees which report is part of the WHERE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_finance_matching.feedback.models import LoanFeedback
from sme_finance_matching.feedback.schemas import FeedbackFilters


def visible(*, scope: RegionScope, institution_id: str | None) -> Any:
    """An institution's client sees its own reports and no other institution's; officers those
    on enterprises of their region; an enterprise those on itself."""
    if institution_id is not None:
        return LoanFeedback.institution_id == institution_id
    return scope.clause(
        LoanFeedback.region_code, LoanFeedback.reporting_unit_code, uscc_col=LoanFeedback.uscc
    )


async def lock_reference(session: AsyncSession, institution_id: str, external_id: str) -> None:
    """Serialise reports carrying the same (institution, external_id) until the transaction ends,
    so that a retry racing the first post finds its record instead of a unique violation."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"loan_feedback:{institution_id}:{external_id}"},
    )


async def by_reference(
    session: AsyncSession, institution_id: str, external_id: str
) -> LoanFeedback | None:
    query = select(LoanFeedback).where(
        LoanFeedback.institution_id == institution_id, LoanFeedback.external_id == external_id
    )
    return (await session.scalars(query)).first()


async def get(session: AsyncSession, feedback_id: str, where: Any) -> LoanFeedback | None:
    query = select(LoanFeedback).where(LoanFeedback.id == feedback_id, where)
    return (await session.scalars(query)).first()


async def find(
    session: AsyncSession, where: Any, filters: FeedbackFilters, *, after: str | None
) -> Sequence[LoanFeedback]:
    query = select(LoanFeedback).where(where)
    if filters.uscc is not None:
        query = query.where(LoanFeedback.uscc == filters.uscc)
    if filters.need_id is not None:
        query = query.where(LoanFeedback.need_id == filters.need_id)
    if filters.institution_id is not None:
        query = query.where(LoanFeedback.institution_id == filters.institution_id)
    if filters.outcome is not None:
        query = query.where(LoanFeedback.outcome == filters.outcome.value)
    if filters.from_on is not None:
        query = query.where(LoanFeedback.outcome_on >= filters.from_on)
    if filters.to_on is not None:
        query = query.where(LoanFeedback.outcome_on <= filters.to_on)
    if after is not None:
        query = query.where(LoanFeedback.id > after)
    return (await session.scalars(query.order_by(LoanFeedback.id).limit(filters.limit + 1))).all()
