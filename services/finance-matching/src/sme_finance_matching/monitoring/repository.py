"""The monitoring queries: aggregates over ``loan_feedback``; who sees which figures is part of
the WHERE (``feedback.repository.visible``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_finance_matching.feedback.models import LoanFeedback
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.monitoring.domain import LoanGrouping

F = LoanFeedback
_GRANTED = F.outcome == "granted"


def _period(from_on: date | None, to_on: date | None) -> list[Any]:
    clauses: list[Any] = []
    if from_on is not None:
        clauses.append(F.outcome_on >= from_on)
    if to_on is not None:
        clauses.append(F.outcome_on <= to_on)
    return clauses


async def guarantee_fees(
    session: AsyncSession,
    where: Any,
    *,
    target: Decimal,
    from_on: date | None,
    to_on: date | None,
    tier: str | None,
    per_agency: bool,
) -> Sequence[Any]:
    """Guarantees granted by guarantee agencies (as they report them), per agency or in total:
    count, amount, mean / weighted mean / highest fee, count and amount above ``target``,
    first-time borrowers."""
    above = F.guarantee_fee_ratio > target
    measures = (
        func.count().label("guarantee_count"),
        func.coalesce(func.sum(F.amount_fen), 0).label("amount_fen"),
        func.avg(F.guarantee_fee_ratio).label("average_fee_ratio"),
        (
            func.sum(F.amount_fen * F.guarantee_fee_ratio) / func.nullif(func.sum(F.amount_fen), 0)
        ).label("weighted_fee_ratio"),
        func.max(F.guarantee_fee_ratio).label("max_fee_ratio"),
        func.count().filter(above).label("above_target_count"),
        func.coalesce(func.sum(F.amount_fen).filter(above), 0).label("above_target_amount_fen"),
        func.count().filter(F.first_time_borrower.is_(True)).label("first_time_count"),
    )
    keys: tuple[Any, ...] = (
        (F.institution_id.label("institution_id"), Institution.name.label("institution_name"))
        if per_agency
        else (
            literal(None).label("institution_id"),
            literal(None).label("institution_name"),
        )
    )
    query = (
        select(*keys, *measures)
        .select_from(F)
        .join(Institution, Institution.id == F.institution_id)
        .where(
            where,
            _GRANTED,
            F.institution_kind == "guarantee_agency",
            F.guarantee_fee_ratio.is_not(None),
            *_period(from_on, to_on),
        )
    )
    if tier is not None:
        query = query.where(F.tier == tier)
    if per_agency:
        query = query.group_by(F.institution_id, Institution.name).order_by(F.institution_id)
    return (await session.execute(query)).all()


def _group_key(grouping: LoanGrouping | None) -> tuple[Any, Any]:
    if grouping is LoanGrouping.INSTITUTION:
        return F.institution_id, Institution.name
    if grouping is LoanGrouping.TIER:
        return func.coalesce(F.tier, "unknown"), literal(None)
    if grouping is LoanGrouping.REPORTING_UNIT:
        return F.reporting_unit_code, literal(None)
    if grouping is LoanGrouping.MONTH:
        return func.to_char(F.outcome_on, "YYYY-MM"), literal(None)
    return literal(None), literal(None)


async def loans(
    session: AsyncSession,
    where: Any,
    *,
    grouping: LoanGrouping | None,
    from_on: date | None,
    to_on: date | None,
    institution_id: str | None,
    tier: str | None,
    reporting_unit_code: str | None,
) -> Sequence[Any]:
    """Outcomes reported by lenders (banks, insurers, securities firms: guarantee agencies'
    guarantees are in ``guarantee_fees``), grouped by ``grouping`` (None: the totals)."""
    key, label = _group_key(grouping)
    first = and_(_GRANTED, F.first_time_borrower.is_(True))
    query = (
        select(
            key.label("key"),
            label.label("label"),
            func.count().filter(F.outcome == "contacted").label("contacted_count"),
            func.count().filter(F.outcome == "refused").label("refused_count"),
            func.count().filter(_GRANTED).label("granted_count"),
            func.coalesce(func.sum(F.amount_fen).filter(_GRANTED), 0).label("granted_amount_fen"),
            func.count().filter(first).label("first_time_count"),
            func.coalesce(func.sum(F.amount_fen).filter(first), 0).label("first_time_amount_fen"),
            func.avg(F.annual_rate_ratio).filter(_GRANTED).label("average_rate_ratio"),
            func.count()
            .filter(and_(_GRANTED, F.guarantee_fee_ratio.is_not(None)))
            .label("guaranteed_count"),
        )
        .select_from(F)
        .join(Institution, Institution.id == F.institution_id)
        .where(where, F.institution_kind != "guarantee_agency", *_period(from_on, to_on))
    )
    if institution_id is not None:
        query = query.where(F.institution_id == institution_id)
    if tier is not None:
        query = query.where(F.tier == tier)
    if reporting_unit_code is not None:
        query = query.where(F.reporting_unit_code == reporting_unit_code)
    if grouping is not None:
        query = query.group_by(key, label).order_by(key)
    return (await session.execute(query)).all()
