"""Every query of the clawback module; region scope in the SQL (an order carries its 市州, the
payee's county and its USCC, as the entitlement does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.clawback.models import ClawbackCase, RecoveryOrder, RecoveryReceipt


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(
        RecoveryOrder.county_code, RecoveryOrder.region_code, uscc_col=RecoveryOrder.uscc
    )


async def decide_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Record the decision on a revoked certificate; False when it was decided before."""
    statement = (
        pg_insert(ClawbackCase)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["certificate_id"])
        .returning(ClawbackCase.certificate_id)
    )
    return (await session.execute(statement)).first() is not None


async def add_order(session: AsyncSession, order: RecoveryOrder) -> None:
    session.add(order)
    await session.flush()


async def order_of_entitlement(
    session: AsyncSession, entitlement_id: str, *, for_update: bool = False
) -> RecoveryOrder | None:
    query = select(RecoveryOrder).where(RecoveryOrder.entitlement_id == entitlement_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def in_scope(
    session: AsyncSession, order_id: str, scope: RegionScope, *, for_update: bool = False
) -> RecoveryOrder | None:
    query = select(RecoveryOrder).where(RecoveryOrder.id == order_id, _in_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


@dataclass(frozen=True)
class OrderQuery:
    status: str | None = None
    uscc: str | None = None
    region_code: str | None = None
    certificate_id: str | None = None


async def page(
    session: AsyncSession, scope: RegionScope, where: OrderQuery, *, after: str | None, limit: int
) -> Sequence[RecoveryOrder]:
    query = select(RecoveryOrder).where(_in_scope(scope))
    if where.status is not None:
        query = query.where(RecoveryOrder.status == where.status)
    if where.uscc is not None:
        query = query.where(RecoveryOrder.uscc == where.uscc)
    if where.region_code is not None:
        query = query.where(RecoveryOrder.region_code == where.region_code)
    if where.certificate_id is not None:
        query = query.where(RecoveryOrder.certificate_id == where.certificate_id)
    if after is not None:
        query = query.where(RecoveryOrder.id > after)
    return (await session.scalars(query.order_by(RecoveryOrder.id).limit(limit + 1))).all()


async def receipt(session: AsyncSession, receipt_ref: str) -> RecoveryReceipt | None:
    query = select(RecoveryReceipt).where(RecoveryReceipt.receipt_ref == receipt_ref)
    return (await session.scalars(query)).first()


async def add_receipt(session: AsyncSession, values: dict[str, Any]) -> RecoveryReceipt | None:
    """Insert a receipt unless its ``receipt_ref`` exists (a concurrent twin); None then."""
    statement = (
        pg_insert(RecoveryReceipt)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["receipt_ref"])
        .returning(RecoveryReceipt)
    )
    return (await session.scalars(statement)).first()


async def receipts_of(session: AsyncSession, order_id: str) -> Sequence[RecoveryReceipt]:
    query = select(RecoveryReceipt).where(RecoveryReceipt.recovery_order_id == order_id)
    return (await session.scalars(query.order_by(RecoveryReceipt.id))).all()
