"""Every query of the approvals module. The queue is one SQL query: the caller's region scope,
the next step's role (from the approval row, or for an untouched entitlement from the amount
ranges whose first step is the caller's), and the four-eyes exclusion all go into the WHERE."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.approvals.models import Approval, ApprovalStep
from sme_funding.entitlements.models import Entitlement, EntitlementStep


async def get(
    session: AsyncSession, entitlement_id: str, *, for_update: bool = False
) -> Approval | None:
    return await session.get(Approval, entitlement_id, with_for_update=for_update)


async def add(session: AsyncSession, approval: Approval) -> None:
    session.add(approval)
    await session.flush()


async def add_step(session: AsyncSession, step: ApprovalStep) -> None:
    session.add(step)
    await session.flush()


async def steps_of(session: AsyncSession, entitlement_id: str) -> Sequence[ApprovalStep]:
    query = select(ApprovalStep).where(ApprovalStep.entitlement_id == entitlement_id)
    return (await session.scalars(query.order_by(ApprovalStep.id))).all()


async def creators_and_cancellers(session: AsyncSession, entitlement_id: str) -> list[str]:
    """Who created the entitlement (its first step) or cancelled it."""
    query = select(EntitlementStep.actor).where(
        EntitlementStep.entitlement_id == entitlement_id,
        or_(EntitlementStep.from_status.is_(None), EntitlementStep.to_status == "cancelled"),
    )
    return list((await session.scalars(query)).all())


@dataclass(frozen=True)
class AmountRange:
    """Untouched entitlements whose chain starts with the caller's role: of ``province_code``
    (None: of any province not in ``other_than``), with ``above_fen < amount_fen <= up_to_fen``."""

    province_code: str | None
    other_than: tuple[str, ...]
    above_fen: int | None
    up_to_fen: int | None


def _range_clause(amount: AmountRange) -> Any:
    parts: list[Any] = []
    if amount.province_code is not None:
        parts.append(Entitlement.region_code.like(f"{amount.province_code[:2]}%"))
    for other in amount.other_than:
        parts.append(not_(Entitlement.region_code.like(f"{other[:2]}%")))
    if amount.above_fen is not None:
        parts.append(Entitlement.amount_fen > amount.above_fen)
    if amount.up_to_fen is not None:
        parts.append(Entitlement.amount_fen <= amount.up_to_fen)
    return and_(*parts) if parts else Entitlement.id.is_not(None)


async def queue(
    session: AsyncSession,
    scope: RegionScope,
    *,
    roles: Sequence[str],
    subject: str,
    first_steps: Sequence[AmountRange],
    after: str | None,
    limit: int,
) -> Sequence[tuple[Entitlement, Approval | None]]:
    """Up to ``limit + 1`` pending entitlements in scope whose next step the caller may take, in
    id order after ``after``."""
    next_position = func.coalesce(Approval.next_position, 1)
    took_other_step = (
        select(ApprovalStep.id)
        .where(
            ApprovalStep.entitlement_id == Entitlement.id,
            ApprovalStep.actor == subject,
            ApprovalStep.position != next_position,
        )
        .exists()
    )
    made_it = (
        select(EntitlementStep.id)
        .where(
            EntitlementStep.entitlement_id == Entitlement.id,
            EntitlementStep.actor == subject,
            or_(EntitlementStep.from_status.is_(None), EntitlementStep.to_status == "cancelled"),
        )
        .exists()
    )
    untouched = (
        and_(Approval.entitlement_id.is_(None), or_(*[_range_clause(a) for a in first_steps]))
        if first_steps
        else false()
    )
    started = and_(Approval.state == "in_progress", Approval.next_role.in_(list(roles)))
    query = (
        select(Entitlement, Approval)
        .outerjoin(Approval, Approval.entitlement_id == Entitlement.id)
        .where(
            Entitlement.status == "pending_approval",
            scope.clause(
                Entitlement.county_code, Entitlement.region_code, uscc_col=Entitlement.uscc
            ),
            or_(untouched, started),
            not_(took_other_step),
            not_(made_it),
        )
    )
    if after is not None:
        query = query.where(Entitlement.id > after)
    rows = (await session.execute(query.order_by(Entitlement.id).limit(limit + 1))).all()
    return [(row[0], row[1]) for row in rows]
