"""Every query of the budgets module (the ledger's check reads the figures here too)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.budgets.models import Allocation, BudgetCommitment, Fund


def fund_scope(scope: RegionScope) -> ColumnElement[bool]:
    """Funds belong to a province: its officers (and the platform admin) see them."""
    return scope.clause(Fund.province_code, Fund.province_code)


def allocation_scope(scope: RegionScope) -> ColumnElement[bool]:
    """An allocation belongs to its region: the province's officers, or the 市州's own."""
    return scope.clause(Allocation.region_code, Allocation.region_code)


async def get_fund(
    session: AsyncSession,
    fund_id: str,
    scope: RegionScope | None = None,
    *,
    for_update: bool = False,
) -> Fund | None:
    query = select(Fund).where(Fund.id == fund_id)
    if scope is not None:
        query = query.where(fund_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def find_fund(
    session: AsyncSession, *, code: str, year: int, province_code: str
) -> Fund | None:
    query = select(Fund).where(
        Fund.code == code, Fund.year == year, Fund.province_code == province_code
    )
    return (await session.scalars(query)).first()


async def find_funds(
    session: AsyncSession,
    scope: RegionScope,
    *,
    year: int | None,
    source_kind: str | None,
    after: str | None,
    limit: int,
) -> Sequence[Fund]:
    query = select(Fund).where(fund_scope(scope))
    if year is not None:
        query = query.where(Fund.year == year)
    if source_kind is not None:
        query = query.where(Fund.source_kind == source_kind)
    if after is not None:
        query = query.where(Fund.id > after)
    return (await session.scalars(query.order_by(Fund.id).limit(limit + 1))).all()


async def allocations_of(
    session: AsyncSession, fund_ids: Sequence[str], scope: RegionScope | None = None
) -> Sequence[Allocation]:
    query = select(Allocation).where(Allocation.fund_id.in_(fund_ids))
    if scope is not None:
        query = query.where(allocation_scope(scope))
    return (await session.scalars(query.order_by(Allocation.fund_id, Allocation.region_code))).all()


async def find_allocations(
    session: AsyncSession,
    scope: RegionScope,
    *,
    fund_id: str | None,
    year: int | None,
    after: str | None,
    limit: int,
) -> Sequence[tuple[Allocation, Fund]]:
    query = (
        select(Allocation, Fund)
        .join(Fund, Fund.id == Allocation.fund_id)
        .where(allocation_scope(scope))
    )
    if fund_id is not None:
        query = query.where(Allocation.fund_id == fund_id)
    if year is not None:
        query = query.where(Fund.year == year)
    if after is not None:
        query = query.where(Allocation.id > after)
    rows = (await session.execute(query.order_by(Allocation.id).limit(limit + 1))).all()
    return [(row[0], row[1]) for row in rows]


async def get_allocation(
    session: AsyncSession, fund_id: str, region_code: str, *, for_update: bool = False
) -> Allocation | None:
    query = select(Allocation).where(
        Allocation.fund_id == fund_id, Allocation.region_code == region_code
    )
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def allocated_except(session: AsyncSession, fund_id: str, region_code: str) -> int:
    query = select(func.coalesce(func.sum(Allocation.amount_fen), 0)).where(
        Allocation.fund_id == fund_id, Allocation.region_code != region_code
    )
    return int((await session.execute(query)).scalar_one())


async def take_available(
    session: AsyncSession, allocation_id: str, amount_fen: int, *, actor: str, at: object
) -> bool:
    """Add ``amount_fen`` to the allocation's committed figure only if that much is available:
    one conditional UPDATE, so that two concurrent commitments serialise on the row and the
    second sees the first's figure (READ COMMITTED re-checks the condition after the wait)."""
    result = await session.execute(
        update(Allocation)
        .where(
            Allocation.id == allocation_id,
            Allocation.amount_fen - Allocation.committed_fen >= amount_fen,
        )
        .values(
            committed_fen=Allocation.committed_fen + amount_fen,
            version=Allocation.version + 1,
            updated_at=at,
            updated_by=actor,
        )
        .returning(Allocation.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def change_figures(
    session: AsyncSession,
    allocation_id: str,
    *,
    actor: str,
    at: object,
    committed_fen: int = 0,
    paid_fen: int = 0,
    recovery_raised_fen: int = 0,
    recovered_fen: int = 0,
) -> None:
    await session.execute(
        update(Allocation)
        .where(Allocation.id == allocation_id)
        .values(
            committed_fen=Allocation.committed_fen + committed_fen,
            paid_fen=Allocation.paid_fen + paid_fen,
            recovery_raised_fen=Allocation.recovery_raised_fen + recovery_raised_fen,
            recovered_fen=Allocation.recovered_fen + recovered_fen,
            version=Allocation.version + 1,
            updated_at=at,
            updated_by=actor,
        )
        .execution_options(synchronize_session=False)
    )


async def insert_commitment(session: AsyncSession, values: dict[str, object]) -> bool:
    """Insert unless the subject already has one (a concurrent commit of the same subject waits
    for the other transaction, then inserts nothing)."""
    result = await session.execute(
        insert(BudgetCommitment)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[BudgetCommitment.subject_ref])
        .returning(BudgetCommitment.id)
    )
    return result.first() is not None


async def get_commitment(
    session: AsyncSession, subject_ref: str, *, for_update: bool = False
) -> tuple[BudgetCommitment, Fund] | None:
    query = (
        select(BudgetCommitment, Fund)
        .join(Fund, Fund.id == BudgetCommitment.fund_id)
        .where(BudgetCommitment.subject_ref == subject_ref)
        .execution_options(populate_existing=True)
    )
    if for_update:
        query = query.with_for_update(of=BudgetCommitment)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def all_funds(session: AsyncSession) -> Sequence[Fund]:
    return (await session.scalars(select(Fund).order_by(Fund.id))).all()


async def all_allocations(session: AsyncSession) -> Sequence[Allocation]:
    query = select(Allocation).order_by(Allocation.fund_id, Allocation.region_code)
    return (await session.scalars(query.execution_options(populate_existing=True))).all()


async def commitment_sums(session: AsyncSession) -> dict[str, tuple[int, int, int, int]]:
    """Per allocation, from its commitments: (committed, paid, recovery raised, recovered), a
    released commitment counting what was paid of it."""
    rows = await session.execute(
        select(
            BudgetCommitment.allocation_id,
            BudgetCommitment.status,
            func.sum(BudgetCommitment.amount_fen),
            func.sum(BudgetCommitment.paid_fen),
            func.sum(BudgetCommitment.recovery_raised_fen),
            func.sum(BudgetCommitment.recovered_fen),
        ).group_by(BudgetCommitment.allocation_id, BudgetCommitment.status)
    )
    sums: dict[str, tuple[int, int, int, int]] = {}
    for allocation_id, status, amount, paid, raised, recovered in rows:
        c, p, r, y = sums.get(allocation_id, (0, 0, 0, 0))
        held = int(amount) if status == "committed" else int(paid)
        sums[allocation_id] = (c + held, p + int(paid), r + int(raised), y + int(recovered))
    return sums
