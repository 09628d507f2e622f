"""Budgets: special funds (专项资金) by year and source, allocated by the province to its 市州, and
the commitments other modules make against those allocations.

The API other modules call **inside their own unit of work** (each call takes the caller's
``UnitOfWork``; nothing here commits, so the budget change, its ledger entry and the caller's own
change are written together or not at all). ``actor`` is the subject (token ``sub``, or the
consumer's name) that caused the change. Every call is idempotent; every money change posts one
balanced ledger entry in the same transaction. Every refusal is raised before anything is
written, so a caller may catch it (e.g. ``budget_exhausted``: keep the entitlement waiting) and
go on in the same unit of work. Bad arguments are 422s: ``amount_invalid`` (not a positive
integer), ``subject_ref_invalid`` / ``batch_ref_invalid`` / ``recovery_ref_invalid`` /
``receipt_ref_invalid`` (1–200 of ``[A-Za-z0-9_.:/-]``).

    commit(uow, *, fund_code, year, region_code, amount_fen, subject_ref, actor) -> Commitment
        Set aside ``amount_fen`` of the allocation of fund ``fund_code``/``year`` (of the province
        ``region_code`` lies in) to ``region_code`` (a 市州, or the province itself) for
        ``subject_ref`` (e.g. the entitlement id); a county code is read as its 市州.
        Concurrency-safe (one conditional UPDATE on the allocation row). Refused: 409 ``budget_exhausted`` (available < amount, nothing
        written), 404 ``fund_not_found``, 409 ``allocation_missing`` (no allocation to that
        region), 422 ``allocation_region_invalid``, 409 ``commitment_subject_mismatch`` (the
        subject was committed with another fund, region or amount), 409 ``commitment_released``.
        Once per subject_ref: a repeat returns the existing commitment.
    release(uow, subject_ref, actor) -> Commitment
        Cancel: what is committed and unpaid returns to the allocation. A repeat is a no-op.
        404 ``commitment_not_found``.
    record_payment(uow, subject_ref, amount_fen, paid_on, batch_ref, *, actor="payments")
        -> Commitment
        ``amount_fen`` was paid in batch ``batch_ref`` (once per subject and batch: a repeat is a
        no-op). 409 ``payment_exceeds_commitment`` beyond the unpaid amount,
        409 ``commitment_released``.
    record_payment_failure(uow, subject_ref, batch_ref, reason, failed_on, *, actor="payments")
        -> Commitment
        The bank refused the payment: the commitment stays (money still set aside for the next
        batch); the failure is kept on it. Nothing is posted (no money moved).
    raise_recovery(uow, subject_ref, amount_fen, raised_on, recovery_ref, *, actor="clawback")
        -> Commitment
        A recovery order (追回) for money paid: 409 ``recovery_exceeds_paid`` beyond what was
        paid and not yet ordered back. Once per recovery_ref.
    record_recovery(uow, subject_ref, amount_fen, on, receipt_ref, *, actor="clawback")
        -> Commitment
        Money received back against the subject's recovery orders: 409
        ``recovery_exceeds_raised`` beyond what is outstanding. Once per receipt_ref.
    get_commitment(uow, subject_ref) -> Commitment | None
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import date

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, ensure_in_region, expect_version, not_found
from sme_common.problems import version_conflict as version_conflict_problem
from sme_common.reference.regions import RegionCatalog
from sme_funding.budgets import domain, repository
from sme_funding.budgets.domain import Commitment, CommitmentStatus, FundStatus
from sme_funding.budgets.models import Allocation, BudgetCommitment, Fund
from sme_funding.budgets.schemas import (
    AllocationFilters,
    AllocationPage,
    AllocationRead,
    AllocationSet,
    FundCreate,
    FundFilters,
    FundPage,
    FundRead,
)
from sme_funding.ledger import service as ledger
from sme_funding.ledger.domain import Account, EntryKind, transfer

FUND = Resource("fund", "fund {key}", "专项资金 {key}")
ALLOCATION = Resource("allocation", "allocation {key}", "资金分配 {key}")
COMMITMENT = Resource("commitment", "commitment of {key}", "{key} 的预算占用")
FUND_CURSOR = KeyCursor(re.compile(r"^fund_[0-9a-f]{12}$"), member="f")
ALLOCATION_CURSOR = KeyCursor(re.compile(r"^alloc_[0-9a-f]{12}$"), member="a")
REF = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")


def _fund_read(fund: Fund, allocations: Sequence[Allocation]) -> FundRead:
    own = [a for a in allocations if a.fund_id == fund.id]
    allocated = sum(a.amount_fen for a in own)
    committed = sum(a.committed_fen for a in own)
    return FundRead(
        id=fund.id,
        code=fund.code,
        name=fund.name,
        source_kind=domain.SourceKind(fund.source_kind),
        year=fund.year,
        province_code=fund.province_code,
        total_fen=fund.total_fen,
        status=FundStatus(fund.status),
        version=fund.version,
        created_at=fund.created_at,
        created_by=fund.created_by,
        allocated_fen=allocated,
        unallocated_fen=fund.total_fen - allocated,
        committed_fen=committed,
        paid_fen=sum(a.paid_fen for a in own),
        recovered_fen=sum(a.recovered_fen for a in own),
        available_fen=allocated - committed,
    )


def _allocation_read(allocation: Allocation, fund: Fund) -> AllocationRead:
    return AllocationRead(
        id=allocation.id,
        fund_id=fund.id,
        fund_code=fund.code,
        year=fund.year,
        region_code=allocation.region_code,
        amount_fen=allocation.amount_fen,
        committed_fen=allocation.committed_fen,
        paid_fen=allocation.paid_fen,
        recovery_raised_fen=allocation.recovery_raised_fen,
        recovered_fen=allocation.recovered_fen,
        available_fen=allocation.amount_fen - allocation.committed_fen,
        version=allocation.version,
        updated_at=allocation.updated_at,
        updated_by=allocation.updated_by,
    )


# --- funds and allocations (the province's API) ------------------------------------------------


async def create_fund(
    database: Database,
    *,
    command: FundCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    domain.check_province(command.province_code, RegionCatalog.load())
    ensure_in_region(actor, command.province_code, command.province_code, field="province_code")
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        existing = await repository.find_fund(
            uow.session, code=command.code, year=command.year, province_code=command.province_code
        )
        if existing is not None:
            raise Conflict(
                "fund_exists",
                f"Fund {command.code} of {command.year} exists already ({existing.id})",
                f"{command.year} 年度专项资金 {command.code} 已存在（{existing.id}）",
                field="code",
                extra={"fund_id": existing.id},
            )
        fund = Fund(
            id=f"fund_{secrets.token_hex(6)}",
            code=command.code,
            name=command.name,
            source_kind=command.source_kind.value,
            year=command.year,
            province_code=command.province_code,
            total_fen=command.total_fen,
            status=FundStatus.OPEN.value,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(fund)
        await uow.flush()
        if fund.total_fen:
            await ledger.post(
                uow,
                kind=EntryKind.FUND_CREATED,
                fund_id=fund.id,
                province_code=fund.province_code,
                operation_key=f"fund:{fund.id}",
                lines=transfer(
                    fund.total_fen,
                    debit=Account.UNALLOCATED,
                    debit_region=fund.province_code,
                    credit=Account.APPROPRIATION,
                    credit_region=fund.province_code,
                ),
                memo=f"{fund.name} 预算下达 / appropriation",
                actor=actor.subject,
            )
        return 201, _fund_read(fund, []).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def get_fund(database: Database, *, fund_id: str, actor: Principal) -> FundRead:
    async with UnitOfWork(database) as uow:
        fund = await repository.get_fund(uow.session, fund_id, actor.region_scope())
        if fund is None:
            raise not_found(FUND, fund_id, field="fund_id")
        return _fund_read(fund, await repository.allocations_of(uow.session, [fund.id]))


async def list_funds(database: Database, *, filters: FundFilters, actor: Principal) -> FundPage:
    after = FUND_CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find_funds(
            uow.session,
            actor.region_scope(),
            year=filters.year,
            source_kind=filters.source_kind.value if filters.source_kind else None,
            after=after,
            limit=filters.limit,
        )
        page, last = split_page(rows, filters.limit)
        allocations = await repository.allocations_of(uow.session, [f.id for f in page])
        return FundPage(
            items=[_fund_read(f, allocations) for f in page],
            next_cursor=FUND_CURSOR.encode(last.id) if last is not None else None,
        )


async def set_allocation(
    database: Database,
    *,
    fund_id: str,
    region_code: str,
    command: AllocationSet,
    actor: Principal,
) -> tuple[AllocationRead, bool]:
    """Allocate (or reallocate) the fund to a 市州: the allocation and whether it is new."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        fund = await repository.get_fund(
            uow.session, fund_id, actor.region_scope(), for_update=True
        )
        if fund is None:
            raise not_found(FUND, fund_id, field="fund_id")
        domain.check_allocation_region(region_code, fund.province_code, RegionCatalog.load())
        allocation = await repository.get_allocation(
            uow.session, fund_id, region_code, for_update=True
        )
        key = f"{fund_id}/{region_code}"
        if allocation is None and command.version is not None:
            raise version_conflict_problem(ALLOCATION, key, current=None, sent=command.version)
        if allocation is not None:
            expect_version(ALLOCATION, key, current=allocation.version, sent=command.version)
        others = await repository.allocated_except(uow.session, fund_id, region_code)
        left = domain.unallocated_fen(fund.total_fen, others, command.amount_fen)
        if left < 0:
            raise Conflict(
                "fund_over_allocated",
                f"Allocations of {fund.code} would exceed its total by {-left} fen",
                f"分配总额将超出专项资金总额 {-left} 分",
                field="amount_fen",
                extra={"unallocated_fen": fund.total_fen - others},
            )
        before = 0 if allocation is None else allocation.amount_fen
        if allocation is not None and command.amount_fen < allocation.committed_fen:
            raise Conflict(
                "allocation_below_committed",
                f"{allocation.committed_fen} fen are committed against this allocation",
                f"该分配已占用 {allocation.committed_fen} 分，不能调减至其以下",
                field="amount_fen",
                extra={"committed_fen": allocation.committed_fen},
            )
        created = allocation is None
        if allocation is None:
            allocation = Allocation(
                id=f"alloc_{secrets.token_hex(6)}",
                fund_id=fund_id,
                region_code=region_code,
                amount_fen=command.amount_fen,
                committed_fen=0,
                paid_fen=0,
                recovery_raised_fen=0,
                recovered_fen=0,
                version=1,
                created_at=now,
                created_by=actor.subject,
                updated_at=now,
                updated_by=actor.subject,
            )
            uow.session.add(allocation)
        elif command.amount_fen != before:
            allocation.amount_fen = command.amount_fen
            allocation.version += 1
            allocation.updated_at, allocation.updated_by = now, actor.subject
        await uow.flush()
        delta = command.amount_fen - before
        if delta:
            await ledger.post(
                uow,
                kind=EntryKind.ALLOCATION_CHANGED,
                fund_id=fund_id,
                province_code=fund.province_code,
                operation_key=f"allocation:{allocation.id}:v{allocation.version}",
                lines=transfer(
                    delta,
                    debit=Account.AVAILABLE,
                    debit_region=region_code,
                    credit=Account.UNALLOCATED,
                    credit_region=fund.province_code,
                ),
                memo=f"{fund.code} {fund.year} → {region_code}: {before} → {command.amount_fen}",
                actor=actor.subject,
            )
        await uow.commit()
        return _allocation_read(allocation, fund), created


async def list_allocations(
    database: Database, *, filters: AllocationFilters, actor: Principal
) -> AllocationPage:
    """The allocations in the caller's region (a 市州's officers: their own)."""
    after = ALLOCATION_CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find_allocations(
            uow.session,
            actor.region_scope(),
            fund_id=filters.fund_id,
            year=filters.year,
            after=after,
            limit=filters.limit,
        )
        page, last = split_page(rows, filters.limit)
        return AllocationPage(
            items=[_allocation_read(a, f) for a, f in page],
            next_cursor=ALLOCATION_CURSOR.encode(last[0].id) if last is not None else None,
        )


# --- the API other modules call inside their unit of work --------------------------------------


def _commitment(row: BudgetCommitment, fund: Fund) -> Commitment:
    return Commitment(
        id=row.id,
        subject_ref=row.subject_ref,
        fund_id=fund.id,
        fund_code=fund.code,
        year=fund.year,
        region_code=row.region_code,
        amount_fen=row.amount_fen,
        paid_fen=row.paid_fen,
        recovery_raised_fen=row.recovery_raised_fen,
        recovered_fen=row.recovered_fen,
        status=CommitmentStatus(row.status),
        last_failure_reason=row.last_failure_reason,
    )


def _check_ref(value: str, field: str) -> None:
    if not REF.fullmatch(value):
        raise InvalidInput(
            f"{field}_invalid",
            f"{field} must be 1–200 letters, digits or _.:/-",
            f"{field} 应为 1–200 个字母、数字或 _.:/- 字符",
            field=field,
        )


def _check_amount(amount_fen: int, field: str = "amount_fen") -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise InvalidInput(
            "amount_invalid",
            "amount_fen must be a positive integer (fen)",
            "金额应为正整数（分）",
            field=field,
        )


async def _locked(uow: UnitOfWork, subject_ref: str) -> tuple[BudgetCommitment, Fund]:
    found = await repository.get_commitment(uow.session, subject_ref, for_update=True)
    if found is None:
        raise not_found(COMMITMENT, subject_ref, field="subject_ref")
    return found


def _not_released(row: BudgetCommitment) -> None:
    if row.status == CommitmentStatus.RELEASED.value:
        raise Conflict(
            "commitment_released",
            f"The commitment of {row.subject_ref} was released",
            f"{row.subject_ref} 的预算占用已释放",
            field="subject_ref",
        )


async def _move(
    uow: UnitOfWork,
    row: BudgetCommitment,
    fund: Fund,
    amount_fen: int,
    *,
    kind: EntryKind,
    key: str,
    debit: Account,
    credit: Account,
    memo: str,
    actor: str,
    booked_on: date | None = None,
    **figures: int,
) -> None:
    """Money of a commitment moving between two accounts of its own 市州 (release, payment,
    recovery raised, recovered): the allocation's running ``figures`` and the balanced entry under
    ``key``, in the caller's unit of work."""
    await repository.change_figures(
        uow.session, row.allocation_id, actor=actor, at=clock.now(), **figures
    )
    await ledger.post(
        uow,
        kind=kind,
        fund_id=fund.id,
        province_code=fund.province_code,
        operation_key=key,
        subject_ref=row.subject_ref,
        booked_on=booked_on,
        lines=transfer(
            amount_fen,
            debit=debit,
            debit_region=row.region_code,
            credit=credit,
            credit_region=row.region_code,
        ),
        memo=memo,
        actor=actor,
    )


def _touch(row: BudgetCommitment, actor: str) -> None:
    row.version += 1
    row.updated_at = clock.now()
    row.updated_by = actor


async def get_commitment(uow: UnitOfWork, subject_ref: str) -> Commitment | None:
    found = await repository.get_commitment(uow.session, subject_ref)
    return None if found is None else _commitment(*found)


async def commit(
    uow: UnitOfWork,
    *,
    fund_code: str,
    year: int,
    region_code: str,
    amount_fen: int,
    subject_ref: str,
    actor: str,
) -> Commitment:
    """Commit budget for ``subject_ref`` (see the module docstring)."""
    _check_ref(subject_ref, "subject_ref")
    _check_amount(amount_fen)
    region_code = domain.budget_region(region_code, RegionCatalog.load())
    existing = await repository.get_commitment(uow.session, subject_ref)
    if existing is not None:
        return _same_commitment(*existing, fund_code, year, region_code, amount_fen)
    province = region_code[:2] + "0000"
    fund = await repository.find_fund(
        uow.session, code=fund_code, year=year, province_code=province
    )
    if fund is None:
        raise not_found(FUND, f"{fund_code}/{year}", field="fund_code")
    allocation = await repository.get_allocation(uow.session, fund.id, region_code)
    if allocation is None:
        raise Conflict(
            "allocation_missing",
            f"Fund {fund_code} of {year} has no allocation to {region_code}",
            f"{year} 年度专项资金 {fund_code} 未向 {region_code} 分配资金",
            field="region_code",
        )
    now = clock.now()
    if not await repository.take_available(
        uow.session, allocation.id, amount_fen, actor=actor, at=now
    ):
        raced = await repository.get_commitment(uow.session, subject_ref)
        if raced is not None:  # the same subject, committed meanwhile by another transaction
            return _same_commitment(*raced, fund_code, year, region_code, amount_fen)
        current = await repository.get_allocation(uow.session, fund.id, region_code)
        available = 0 if current is None else current.amount_fen - current.committed_fen
        raise Conflict(
            "budget_exhausted",
            f"{available} fen of {fund_code} {year} are available to {region_code}, "
            f"{amount_fen} asked",
            f"{region_code} 的 {year} 年度专项资金 {fund_code} 可用余额 {available} 分，"
            f"不足 {amount_fen} 分",
            field="amount_fen",
            extra={"available_fen": available},
        )
    inserted = await repository.insert_commitment(
        uow.session,
        {
            "id": f"cmt_{secrets.token_hex(8)}",
            "subject_ref": subject_ref,
            "fund_id": fund.id,
            "allocation_id": allocation.id,
            "region_code": region_code,
            "amount_fen": amount_fen,
            "paid_fen": 0,
            "recovery_raised_fen": 0,
            "recovered_fen": 0,
            "status": CommitmentStatus.COMMITTED.value,
            "version": 1,
            "committed_at": now,
            "committed_by": actor,
            "updated_at": now,
            "updated_by": actor,
        },
    )
    if not inserted:
        # Another transaction committed the same subject meanwhile: give back what we took.
        await repository.change_figures(
            uow.session, allocation.id, actor=actor, at=now, committed_fen=-amount_fen
        )
        found = await repository.get_commitment(uow.session, subject_ref)
        assert found is not None  # the conflicting row is committed and visible now
        return _same_commitment(*found, fund_code, year, region_code, amount_fen)
    await ledger.post(
        uow,
        kind=EntryKind.COMMITTED,
        fund_id=fund.id,
        province_code=fund.province_code,
        operation_key=f"commit:{subject_ref}",
        subject_ref=subject_ref,
        lines=transfer(
            amount_fen,
            debit=Account.COMMITTED,
            debit_region=region_code,
            credit=Account.AVAILABLE,
            credit_region=region_code,
        ),
        memo=f"预算占用 / commitment {subject_ref}",
        actor=actor,
    )
    found = await repository.get_commitment(uow.session, subject_ref)
    assert found is not None
    return _commitment(*found)


def _same_commitment(
    row: BudgetCommitment, fund: Fund, fund_code: str, year: int, region_code: str, amount: int
) -> Commitment:
    if (fund.code, fund.year, row.region_code, row.amount_fen) != (
        fund_code,
        year,
        region_code,
        amount,
    ):
        raise Conflict(
            "commitment_subject_mismatch",
            f"{row.subject_ref} is committed already with other terms "
            f"({fund.code} {fund.year} {row.region_code} {row.amount_fen} fen)",
            f"{row.subject_ref} 已按其他条件占用预算（{fund.code} {fund.year} "
            f"{row.region_code} {row.amount_fen} 分）",
            field="subject_ref",
        )
    _not_released(row)
    return _commitment(row, fund)


async def release(uow: UnitOfWork, subject_ref: str, actor: str) -> Commitment:
    """Cancel the commitment of ``subject_ref``: its unpaid amount returns to the allocation."""
    row, fund = await _locked(uow, subject_ref)
    if row.status == CommitmentStatus.RELEASED.value:
        return _commitment(row, fund)
    remainder = row.amount_fen - row.paid_fen
    row.status = CommitmentStatus.RELEASED.value
    _touch(row, actor)
    await uow.flush()
    if remainder:
        await _move(
            uow,
            row,
            fund,
            remainder,
            kind=EntryKind.RELEASED,
            key=f"release:{subject_ref}",
            debit=Account.AVAILABLE,
            credit=Account.COMMITTED,
            memo=f"释放预算占用 / release {subject_ref}",
            actor=actor,
            committed_fen=-remainder,
        )
    return _commitment(row, fund)


async def record_payment(
    uow: UnitOfWork,
    subject_ref: str,
    amount_fen: int,
    paid_on: date,
    batch_ref: str,
    *,
    actor: str = "payments",
) -> Commitment:
    """``amount_fen`` of the commitment was paid in batch ``batch_ref`` on ``paid_on``."""
    _check_amount(amount_fen)
    _check_ref(batch_ref, "batch_ref")
    row, fund = await _locked(uow, subject_ref)
    key = f"payment:{subject_ref}:{batch_ref}"
    if await ledger.posted(uow, key):
        return _commitment(row, fund)
    _not_released(row)
    unpaid = row.amount_fen - row.paid_fen
    if amount_fen > unpaid:
        raise Conflict(
            "payment_exceeds_commitment",
            f"{unpaid} fen of {subject_ref} are unpaid, {amount_fen} reported paid",
            f"{subject_ref} 未支付金额为 {unpaid} 分，不能登记支付 {amount_fen} 分",
            field="amount_fen",
            extra={"unpaid_fen": unpaid},
        )
    row.paid_fen += amount_fen
    row.last_failure_reason = row.last_failure_batch_ref = row.last_failure_on = None
    _touch(row, actor)
    await uow.flush()
    await _move(
        uow,
        row,
        fund,
        amount_fen,
        kind=EntryKind.PAID,
        key=key,
        booked_on=paid_on,
        debit=Account.PAID,
        credit=Account.COMMITTED,
        memo=f"支付 / payment {subject_ref} batch {batch_ref}",
        actor=actor,
        paid_fen=amount_fen,
    )
    return _commitment(row, fund)


async def record_payment_failure(
    uow: UnitOfWork,
    subject_ref: str,
    batch_ref: str,
    reason: str,
    failed_on: date,
    *,
    actor: str = "payments",
) -> Commitment:
    """The bank refused the payment: the commitment stays for the next batch; nothing posted."""
    _check_ref(batch_ref, "batch_ref")
    row, fund = await _locked(uow, subject_ref)
    _not_released(row)
    row.last_failure_reason = reason[:500]
    row.last_failure_batch_ref = batch_ref
    row.last_failure_on = failed_on
    _touch(row, actor)
    await uow.flush()
    return _commitment(row, fund)


async def raise_recovery(
    uow: UnitOfWork,
    subject_ref: str,
    amount_fen: int,
    raised_on: date,
    recovery_ref: str,
    *,
    actor: str = "clawback",
) -> Commitment:
    """A recovery order (追回) of ``amount_fen`` of what was paid for ``subject_ref``."""
    _check_amount(amount_fen)
    _check_ref(recovery_ref, "recovery_ref")
    row, fund = await _locked(uow, subject_ref)
    key = f"recovery-raised:{subject_ref}:{recovery_ref}"
    if await ledger.posted(uow, key):
        return _commitment(row, fund)
    open_fen = row.paid_fen - row.recovery_raised_fen
    if amount_fen > open_fen:
        raise Conflict(
            "recovery_exceeds_paid",
            f"{open_fen} fen paid for {subject_ref} may still be ordered back, not {amount_fen}",
            f"{subject_ref} 可追回金额为 {open_fen} 分，不能追回 {amount_fen} 分",
            field="amount_fen",
            extra={"recoverable_fen": open_fen},
        )
    row.recovery_raised_fen += amount_fen
    _touch(row, actor)
    await uow.flush()
    await _move(
        uow,
        row,
        fund,
        amount_fen,
        kind=EntryKind.RECOVERY_RAISED,
        key=key,
        booked_on=raised_on,
        debit=Account.RECEIVABLE_RECOVERY,
        credit=Account.CLAWBACK_CLAIMED,
        memo=f"追回令 / recovery order {recovery_ref} for {subject_ref}",
        actor=actor,
        recovery_raised_fen=amount_fen,
    )
    return _commitment(row, fund)


async def record_recovery(
    uow: UnitOfWork,
    subject_ref: str,
    amount_fen: int,
    on: date,
    receipt_ref: str,
    *,
    actor: str = "clawback",
) -> Commitment:
    """``amount_fen`` was received back on ``on`` against the subject's recovery orders."""
    _check_amount(amount_fen)
    _check_ref(receipt_ref, "receipt_ref")
    row, fund = await _locked(uow, subject_ref)
    key = f"recovered:{subject_ref}:{receipt_ref}"
    if await ledger.posted(uow, key):
        return _commitment(row, fund)
    outstanding = row.recovery_raised_fen - row.recovered_fen
    if amount_fen > outstanding:
        raise Conflict(
            "recovery_exceeds_raised",
            f"{outstanding} fen of {subject_ref} are ordered back and outstanding, "
            f"not {amount_fen}",
            f"{subject_ref} 待追回金额为 {outstanding} 分，不能登记收回 {amount_fen} 分",
            field="amount_fen",
            extra={"outstanding_fen": outstanding},
        )
    row.recovered_fen += amount_fen
    _touch(row, actor)
    await uow.flush()
    await _move(
        uow,
        row,
        fund,
        amount_fen,
        kind=EntryKind.RECOVERED,
        key=key,
        booked_on=on,
        debit=Account.RECOVERED,
        credit=Account.RECEIVABLE_RECOVERY,
        memo=f"追回到账 / recovered {receipt_ref} for {subject_ref}",
        actor=actor,
        recovered_fen=amount_fen,
    )
    return _commitment(row, fund)


__all__ = [
    "commit",
    "get_commitment",
    "raise_recovery",
    "record_payment",
    "record_payment_failure",
    "record_recovery",
    "release",
]
