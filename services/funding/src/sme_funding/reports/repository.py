"""The report's one aggregate: entitlements in the caller's scope, left-joined to their budget
commitment (``subject_ref`` = ``entitlement:<id>``), grouped in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.budgets.models import BudgetCommitment
from sme_funding.entitlements.models import Entitlement
from sme_funding.reports.schemas import GroupBy

_KEYS: dict[GroupBy, Any] = {
    GroupBy.POLICY: Entitlement.policy_code,
    GroupBy.FUND: Entitlement.fund_code,
    GroupBy.REGION: Entitlement.region_code,
    GroupBy.YEAR: cast(Entitlement.year, String),
}
NOT_ENTITLED = ("cancelled", "not_payable")


async def aggregate(
    session: AsyncSession, scope: RegionScope, *, group_by: GroupBy, year: int | None
) -> Sequence[Any]:
    key = _KEYS[group_by].label("key")
    c = BudgetCommitment
    entitled = func.sum(Entitlement.amount_fen).filter(Entitlement.status.notin_(NOT_ENTITLED))
    committed = func.sum(case((c.status == "released", c.paid_fen), else_=c.amount_fen))
    query = (
        select(
            key,
            func.count(Entitlement.id).label("entitlements"),
            func.coalesce(entitled, 0).label("entitled_fen"),
            func.coalesce(committed, 0).label("committed_fen"),
            func.coalesce(func.sum(c.paid_fen), 0).label("paid_fen"),
            func.coalesce(func.sum(c.recovery_raised_fen), 0).label("recovery_raised_fen"),
            func.coalesce(func.sum(c.recovered_fen), 0).label("recovered_fen"),
        )
        .select_from(Entitlement)
        .outerjoin(c, c.subject_ref == literal("entitlement:") + Entitlement.id)
        .where(
            scope.clause(
                Entitlement.county_code, Entitlement.region_code, uscc_col=Entitlement.uscc
            )
        )
        .group_by(key)
        .order_by(key)
    )
    if year is not None:
        query = query.where(Entitlement.year == year)
    return (await session.execute(query)).all()
