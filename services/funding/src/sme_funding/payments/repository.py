"""Every query of the payments module. Region scope goes into the SQL: a batch carries its 市州 (or
its province, for a province-wide one) in ``region_code``, which is both columns the scope reads;
entitlements are chosen with the entitlements module's own scope clause."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.budgets.domain import CommitmentStatus
from sme_funding.budgets.models import BudgetCommitment
from sme_funding.entitlements.domain import EntitlementStatus
from sme_funding.entitlements.models import Entitlement
from sme_funding.ledger.domain import EntryKind
from sme_funding.ledger.models import JournalEntry, JournalLine
from sme_funding.payments.models import PaymentBatch, PaymentLine

SELECTABLE = (EntitlementStatus.APPROVED.value, EntitlementStatus.FAILED.value)
"""An approved entitlement, or one the bank refused (it returns to the next batch)."""


def _batch_scope(scope: RegionScope) -> Any:
    return scope.clause(PaymentBatch.region_code, PaymentBatch.region_code)


def subject_ref(entitlement_id: str) -> str:
    """The budget commitment of an entitlement (the funding convention)."""
    return f"entitlement:{entitlement_id}"


async def payable(
    session: AsyncSession,
    scope: RegionScope,
    *,
    fund_code: str,
    year: int | None,
    region_code: str | None,
    payee_kind: str | None,
    limit: int,
) -> Sequence[Entitlement]:
    """Entitlements ready to pay, in the caller's scope, oldest id first, locked: approved (or
    failed) with a live budget commitment. Rows another transaction holds are skipped; a row
    whose status changed while waiting is re-checked by PostgreSQL and left out."""
    committed = (
        select(BudgetCommitment.id)
        .where(
            BudgetCommitment.subject_ref == literal("entitlement:") + Entitlement.id,
            BudgetCommitment.status == CommitmentStatus.COMMITTED.value,
        )
        .exists()
    )
    query = select(Entitlement).where(
        Entitlement.status.in_(SELECTABLE),
        Entitlement.fund_code == fund_code,
        Entitlement.amount_fen > 0,
        scope.clause(Entitlement.county_code, Entitlement.region_code, uscc_col=Entitlement.uscc),
        committed,
    )
    if year is not None:
        query = query.where(Entitlement.year == year)
    if region_code is not None:
        query = query.where(Entitlement.region_code == region_code)
    if payee_kind is not None:
        query = query.where(Entitlement.payee_kind == payee_kind)
    query = (
        query.order_by(Entitlement.id)
        .limit(limit)
        .with_for_update(of=Entitlement, skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def add_batch(session: AsyncSession, batch: PaymentBatch, lines: list[PaymentLine]) -> None:
    session.add(batch)
    await session.flush()
    session.add_all(lines)
    await session.flush()


async def batch_in_scope(
    session: AsyncSession, batch_id: str, scope: RegionScope, *, for_update: bool = False
) -> PaymentBatch | None:
    query = select(PaymentBatch).where(PaymentBatch.id == batch_id, _batch_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def lines_of(
    session: AsyncSession, batch_id: str, *, for_update: bool = False
) -> Sequence[PaymentLine]:
    query = select(PaymentLine).where(PaymentLine.batch_id == batch_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query.order_by(PaymentLine.position))).all()


async def page(
    session: AsyncSession,
    scope: RegionScope,
    *,
    status: str | None,
    region_code: str | None,
    fund_code: str | None,
    after: str | None,
    limit: int,
) -> Sequence[PaymentBatch]:
    query = select(PaymentBatch).where(_batch_scope(scope))
    if status is not None:
        query = query.where(PaymentBatch.status == status)
    if region_code is not None:
        query = query.where(PaymentBatch.region_code == region_code)
    if fund_code is not None:
        query = query.where(PaymentBatch.fund_code == fund_code)
    if after is not None:
        query = query.where(PaymentBatch.id > after)
    return (await session.scalars(query.order_by(PaymentBatch.id).limit(limit + 1))).all()


async def line_totals(
    session: AsyncSession, batch_ids: Sequence[str]
) -> dict[str, tuple[int, int]]:
    """(count, sum_fen) of each batch's lines, recomputed."""
    if not batch_ids:
        return {}
    query = (
        select(
            PaymentLine.batch_id,
            func.count(PaymentLine.id),
            func.coalesce(func.sum(PaymentLine.amount_fen), 0),
        )
        .where(PaymentLine.batch_id.in_(batch_ids))
        .group_by(PaymentLine.batch_id)
    )
    return {row[0]: (int(row[1]), int(row[2])) for row in (await session.execute(query)).all()}


async def entitlement_amounts(
    session: AsyncSession, entitlement_ids: Sequence[str]
) -> dict[str, int]:
    if not entitlement_ids:
        return {}
    query = select(Entitlement.id, Entitlement.amount_fen).where(
        Entitlement.id.in_(entitlement_ids)
    )
    return {row[0]: int(row[1]) for row in (await session.execute(query)).all()}


async def ledger_payments(session: AsyncSession, batch_id: str) -> dict[str, int]:
    """subject_ref → fen the ledger recorded as paid in this batch (its operation keys end in
    ``:<batch id>``: ``budgets.service.record_payment``)."""
    query = (
        select(JournalEntry.subject_ref, func.sum(JournalLine.debit_fen))
        .join(JournalLine, JournalLine.entry_id == JournalEntry.id)
        .where(
            JournalEntry.kind == EntryKind.PAID.value,
            JournalEntry.operation_key.startswith("payment:", autoescape=True),
            JournalEntry.operation_key.endswith(f":{batch_id}", autoescape=True),
        )
        .group_by(JournalEntry.subject_ref)
    )
    found: dict[str, int] = {}
    for ref, fen in (await session.execute(query)).all():
        if ref is not None:
            found[ref] = found.get(ref, 0) + int(fen)
    return found
