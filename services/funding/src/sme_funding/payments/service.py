"""Payment batches (支付批次): approved entitlements grouped for the paying bank or treasury with
control totals, sealed for export (CSV / JSON), the bank's results posted back line by line, and a
reconciliation of control totals, lines, results and the ledger.

The one place a posted result is applied is :func:`apply_line_result` (money recorded in the
budget and ledger, the entitlement's status moved, the events published).

No entitlement is ever paid twice: a batch takes only approved (or failed) entitlements, locked;
a line holds its entitlement while pending or paid (a unique partial index, whatever the code
does); a line's result is recorded once (the same result again is a no-op, another one a 409);
the entitlement must be ``in_batch`` to become paid (``entitlements.service.move_status``); and
the budget records one payment per entitlement and batch (its operation key).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Sequence

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor
from sme_common.problems import Resource, ensure_in_region, expect_version, not_found
from sme_funding.budgets import service as budgets
from sme_funding.clawback import service as clawback
from sme_funding.entitlements import repository as entitlements
from sme_funding.entitlements import service as entitlement_service
from sme_funding.entitlements.domain import EntitlementStatus, province_of
from sme_funding.payments import domain, events, repository
from sme_funding.payments.domain import ACCEPTS_RESULTS, BatchStatus, LineStatus, Result
from sme_funding.payments.models import PaymentBatch, PaymentLine
from sme_funding.payments.schemas import (
    BatchCreate,
    BatchDetail,
    BatchFilters,
    BatchPage,
    BatchRead,
    DifferenceRead,
    LineResult,
    PaymentLineRead,
    ReconciliationRead,
    ResultsPost,
    ResultsReport,
    TotalsRead,
    VersionSent,
    totals_read,
)

BATCH = Resource("payment_batch", "payment batch {key}", "支付批次 {key}")
CURSOR = KeyCursor(re.compile(r"^pay_[0-9a-f]{12}$"))
BATCH_STATUS_CONFLICT = "payment_batch_status_conflict"


# --- reading ------------------------------------------------------------------------------------


def _read(batch: PaymentBatch, lines_total: tuple[int, int]) -> BatchRead:
    count, sum_fen = lines_total
    return BatchRead(
        id=batch.id,
        province_code=batch.province_code,
        region_code=batch.region_code,
        fund_code=batch.fund_code,
        year=batch.year,
        payee_kind=batch.payee_kind,
        status=BatchStatus(batch.status),
        control=TotalsRead(count=batch.control_count, sum_fen=batch.control_sum_fen),
        lines_total=TotalsRead(count=count, sum_fen=sum_fen),
        control_totals_match=(count, sum_fen) == (batch.control_count, batch.control_sum_fen),
        version=batch.version,
        created_at=batch.created_at,
        created_by=batch.created_by,
        sealed_at=batch.sealed_at,
        sealed_by=batch.sealed_by,
        updated_at=batch.updated_at,
    )


async def _detail(uow: UnitOfWork, batch: PaymentBatch) -> BatchDetail:
    lines = await repository.lines_of(uow.session, batch.id)
    total = domain.totals(line.amount_fen for line in lines)
    return BatchDetail(
        **_read(batch, (total.count, total.sum_fen)).model_dump(),
        lines=[PaymentLineRead.model_validate(line) for line in lines],
    )


async def _batch(
    uow: UnitOfWork, batch_id: str, actor: Principal, *, for_update: bool = False
) -> PaymentBatch:
    batch = await repository.batch_in_scope(
        uow.session, batch_id, actor.region_scope(), for_update=for_update
    )
    if batch is None:
        raise not_found(BATCH, batch_id, field="batch_id")
    return batch


async def get_batch(database: Database, *, batch_id: str, actor: Principal) -> BatchDetail:
    async with UnitOfWork(database) as uow:
        return await _detail(uow, await _batch(uow, batch_id, actor))


async def list_batches(database: Database, *, filters: BatchFilters, actor: Principal) -> BatchPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.page(
            uow.session,
            actor.region_scope(),
            status=filters.status.value if filters.status else None,
            region_code=filters.region,
            fund_code=filters.fund_code,
            after=after,
            limit=filters.limit,
        )
        shown = rows[: filters.limit]
        totals = await repository.line_totals(uow.session, [b.id for b in shown])
        items = [_read(b, totals.get(b.id, (0, 0))) for b in shown]
    next_cursor = CURSOR.encode(items[-1].id) if len(rows) > filters.limit and items else None
    return BatchPage(items=items, next_cursor=next_cursor)


# --- making a batch -----------------------------------------------------------------------------


def _batch_region(command: BatchCreate, actor: Principal) -> str:
    """The 市州 of the batch, or the province of a province-wide one."""
    if command.region is not None:
        ensure_in_region(actor, command.region, command.region, field="region")
        return command.region
    scope = actor.region_scope()
    if scope.level in (RegionLevel.REPORTING_UNIT, RegionLevel.PROVINCE) and scope.code:
        return scope.code
    raise InvalidInput(
        "region_required",
        "Name the 市州 (region) of the batch",
        "请指定支付批次所属的市州（region）",
        field="region",
    )


async def create_batch(
    database: Database,
    *,
    command: BatchCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """Make a batch of the approved entitlements the filters name, in one transaction: its lines,
    its control totals, and each entitlement moved approved (or failed) → in_batch."""
    region_code = _batch_region(command, actor)

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        chosen = await repository.payable(
            uow.session,
            actor.region_scope(),
            fund_code=command.fund_code,
            year=command.year,
            region_code=command.region,
            payee_kind=command.payee_kind.value if command.payee_kind else None,
            limit=command.max_lines,
        )
        if not chosen:
            raise Conflict(
                "payment_batch_empty",
                "No approved entitlement matches: there is nothing to pay",
                "没有符合条件的已审批兑现事项，无需支付",
                field="fund_code",
            )
        now = clock.now()
        batch_id = f"pay_{secrets.token_hex(6)}"
        total = domain.totals(e.amount_fen for e in chosen)
        batch = PaymentBatch(
            id=batch_id,
            province_code=province_of(region_code),
            region_code=region_code,
            fund_code=command.fund_code,
            year=command.year,
            payee_kind=command.payee_kind.value if command.payee_kind else None,
            status=BatchStatus.DRAFT.value,
            control_count=total.count,
            control_sum_fen=total.sum_fen,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        lines = [
            PaymentLine(
                id=f"pl_{secrets.token_hex(8)}",
                batch_id=batch_id,
                position=position,
                entitlement_id=e.id,
                policy_code=e.policy_code,
                payee_kind=e.payee_kind,
                payee_id=e.payee_id,
                uscc=e.uscc,
                payee_account_ref=None,
                region_code=e.region_code,
                amount_fen=e.amount_fen,
                status=LineStatus.PENDING.value,
            )
            for position, e in enumerate(chosen, start=1)
        ]
        await repository.add_batch(uow.session, batch, lines)
        for entitlement in chosen:
            await entitlement_service.move_status(
                uow,
                entitlement,
                EntitlementStatus.IN_BATCH,
                actor=actor.subject,
                remarks=f"payment batch {batch_id}",
            )
        detail = await _detail(uow, batch)
        return 201, detail.model_dump(mode="json")

    return await run_once(database, idempotency, operation)


# --- sealing and withdrawing a draft ------------------------------------------------------------


def _refuse_status(batch: PaymentBatch, wanted: str, wanted_zh: str) -> Conflict:
    return Conflict(
        BATCH_STATUS_CONFLICT,
        f"Payment batch {batch.id} is {batch.status}: {wanted}",
        f"支付批次 {batch.id} 状态为 {batch.status}：{wanted_zh}",
        field="status",
        extra={"status": batch.status},
    )


async def seal_batch(
    database: Database, *, batch_id: str, command: VersionSent, actor: Principal
) -> BatchDetail:
    """Seal (封版) a draft for export: its lines and totals never change again. Refused if the
    lines no longer add up to the control totals."""
    async with UnitOfWork(database) as uow:
        batch = await _batch(uow, batch_id, actor, for_update=True)
        expect_version(BATCH, batch_id, current=batch.version, sent=command.version)
        if batch.status != BatchStatus.DRAFT.value:
            raise _refuse_status(batch, "only a draft can be sealed", "只有草稿批次可以封版")
        lines = await repository.lines_of(uow.session, batch.id, for_update=True)
        total = domain.totals(line.amount_fen for line in lines)
        if (total.count, total.sum_fen) != (batch.control_count, batch.control_sum_fen):
            raise Conflict(
                "control_totals_mismatch",
                "The lines do not add up to the batch's control totals",
                "批次明细与控制总数不符，不能封版",
                field="batch_id",
                extra={"lines_count": total.count, "lines_sum_fen": total.sum_fen},
            )
        now = clock.now()
        batch.status = BatchStatus.SEALED.value
        batch.sealed_at, batch.sealed_by = now, actor.subject
        _touch(batch, actor.subject)
        await uow.flush()
        detail = await _detail(uow, batch)
        await uow.commit()
    return detail


async def withdraw_batch(
    database: Database, *, batch_id: str, command: VersionSent, actor: Principal
) -> BatchDetail:
    """Withdraw (撤回) a draft before export: its entitlements are approved again."""
    async with UnitOfWork(database) as uow:
        batch = await _batch(uow, batch_id, actor, for_update=True)
        expect_version(BATCH, batch_id, current=batch.version, sent=command.version)
        if batch.status != BatchStatus.DRAFT.value:
            raise _refuse_status(batch, "only a draft can be withdrawn", "只有草稿批次可以撤回")
        for line in await repository.lines_of(uow.session, batch.id, for_update=True):
            line.status = LineStatus.WITHDRAWN.value
            entitlement = await entitlements.by_id(
                uow.session, line.entitlement_id, for_update=True
            )
            assert entitlement is not None  # the line's foreign key
            await entitlement_service.move_status(
                uow,
                entitlement,
                EntitlementStatus.APPROVED,
                actor=actor.subject,
                remarks=f"payment batch {batch.id} withdrawn",
            )
            # Revoked for false declaration while in this batch: nothing was paid, so the
            # award is cancelled and its budget released instead of waiting for a next batch.
            await clawback.after_settlement(uow, entitlement.id, paid=False, actor=actor.subject)
        batch.status = BatchStatus.WITHDRAWN.value
        _touch(batch, actor.subject)
        await uow.flush()
        detail = await _detail(uow, batch)
        await uow.commit()
    return detail


def _touch(batch: PaymentBatch, actor: str) -> None:
    batch.version += 1
    batch.updated_at = clock.now()
    batch.updated_by = actor


# --- export -------------------------------------------------------------------------------------

CSV_HEADER = (
    "line_no",
    "line_id",
    "entitlement_id",
    "policy_code",
    "payee_kind",
    "payee_id",
    "payee_account_ref",
    "region_code",
    "amount_fen",
    "amount_yuan",
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def export_csv(database: Database, *, batch_id: str, actor: Principal) -> str:
    """The sealed batch for the paying bank or treasury: UTF-8 with a BOM (Excel), a header, one
    row per line, and a trailer with the control totals."""
    async with UnitOfWork(database) as uow:
        batch = await _batch(uow, batch_id, actor)
        if batch.status not in {s.value for s in ACCEPTS_RESULTS}:
            raise _refuse_status(batch, "seal it before export", "请先封版再导出")
        lines = await repository.lines_of(uow.session, batch.id)
        return "\ufeff" + _csv(batch, lines)


def _csv(batch: PaymentBatch, lines: Sequence[PaymentLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in lines:
        writer.writerow(
            (
                line.position,
                line.id,
                line.entitlement_id,
                line.policy_code,
                line.payee_kind,
                line.payee_id,
                line.payee_account_ref or "",
                line.region_code,
                line.amount_fen,
                _yuan(line.amount_fen),
            )
        )
    writer.writerow(
        (
            "TOTAL",
            batch.id,
            "",
            "",
            "",
            "",
            "",
            batch.region_code,
            batch.control_sum_fen,
            _yuan(batch.control_sum_fen),
            batch.control_count,
        )
    )
    return out.getvalue()


# --- results ------------------------------------------------------------------------------------


def _check_result(index: int, result: LineResult) -> None:
    field = f"results[{index}]"
    if result.outcome is domain.Outcome.PAID:
        if result.paid_on is None:
            raise InvalidInput(
                "paid_on_required",
                "A paid result needs the day it was paid (paid_on)",
                "支付成功的结果须提供支付日期（paid_on）",
                field=f"{field}.paid_on",
            )
        if result.bank_reference is None:
            raise InvalidInput(
                "bank_reference_required",
                "A paid result needs the bank's reference",
                "支付成功的结果须提供银行流水号（bank_reference）",
                field=f"{field}.bank_reference",
            )
        if result.failure_reason is not None:
            raise InvalidInput(
                "failure_reason_unexpected",
                "A paid result has no failure reason",
                "支付成功的结果不应有失败原因",
                field=f"{field}.failure_reason",
            )
    elif result.failure_reason is None:
        raise InvalidInput(
            "failure_reason_required",
            "A failed result needs the bank's reason",
            "支付失败的结果须提供失败原因（failure_reason）",
            field=f"{field}.failure_reason",
        )
    if result.paid_on is not None and result.paid_on > clock.business_today():
        raise InvalidInput(
            "paid_on_in_future",
            f"paid_on {result.paid_on} is after today",
            "支付日期不能晚于今天",
            field=f"{field}.paid_on",
        )


def _stored(line: PaymentLine) -> Result:
    return Result(
        domain.Outcome(line.status), line.result_on, line.bank_reference, line.failure_reason
    )


async def apply_line_result(
    uow: UnitOfWork,
    batch: PaymentBatch,
    line: PaymentLine,
    result: LineResult,
    *,
    actor: str,
) -> bool:
    """THE place a posted result is applied (the batch and line locked by the caller): True if
    recorded now, False if the line had this very result already (no-op); 409
    ``line_result_conflict`` for another result on a settled line.

    paid → ``budgets.record_payment`` (once per entitlement and batch), entitlement → paid,
    ``funding.payment.settled.v1`` and ``funding.entitlement.paid.v1``;
    failed → ``budgets.record_payment_failure``, entitlement → failed (it returns to the next
    batch), ``funding.entitlement.failed.v1``; either way ``clawback.after_settlement`` for an
    award whose certificate was revoked for false declaration meanwhile."""
    posted = Result(result.outcome, result.paid_on, result.bank_reference, result.failure_reason)
    if line.status != LineStatus.PENDING.value:
        if line.status in (LineStatus.PAID.value, LineStatus.FAILED.value) and domain.same_result(
            _stored(line), posted
        ):
            return False
        raise Conflict(
            "line_result_conflict",
            f"Line {line.id} is {line.status} already; a different result cannot replace it",
            f"明细 {line.id} 已为 {line.status}，不能改为不同的结果",
            field="line_id",
            extra={"line_id": line.id, "status": line.status},
        )
    entitlement = await entitlements.by_id(uow.session, line.entitlement_id, for_update=True)
    assert entitlement is not None  # the line's foreign key
    if entitlement.status == EntitlementStatus.PAID.value:
        raise Conflict(
            "entitlement_already_paid",
            f"Entitlement {entitlement.id} was paid already",
            f"兑现事项 {entitlement.id} 已支付，不能重复支付",
            field="line_id",
            extra={"line_id": line.id, "entitlement_id": entitlement.id},
        )
    ref = repository.subject_ref(entitlement.id)
    on = result.paid_on or clock.business_today()
    if result.outcome is domain.Outcome.PAID:
        assert result.bank_reference is not None  # _check_result
        await budgets.record_payment(uow, ref, line.amount_fen, on, batch_ref=batch.id, actor=actor)
        await entitlement_service.move_status(
            uow,
            entitlement,
            EntitlementStatus.PAID,
            actor=actor,
            remarks=f"paid in batch {batch.id}, bank reference {result.bank_reference}",
        )
        if entitlement.uscc is not None:
            uow.publish(
                events.PAYMENT_TOPIC,
                events.entitlement_event(
                    events.settled(
                        line_id=line.id,
                        entitlement_id=entitlement.id,
                        uscc=entitlement.uscc,
                        amount_fen=line.amount_fen,
                        paid_on=on,
                    )
                ),
            )
            uow.publish(
                events.ENTITLEMENT_TOPIC,
                events.entitlement_event(
                    events.paid(
                        entitlement_id=entitlement.id,
                        uscc=entitlement.uscc,
                        policy_code=entitlement.policy_code,
                        amount_fen=line.amount_fen,
                        batch_id=batch.id,
                        paid_on=on,
                        bank_reference=result.bank_reference,
                    )
                ),
            )
        line.status = LineStatus.PAID.value
    else:
        reason = result.failure_reason or ""
        await budgets.record_payment_failure(uow, ref, batch.id, reason, on, actor=actor)
        await entitlement_service.move_status(
            uow,
            entitlement,
            EntitlementStatus.FAILED,
            actor=actor,
            remarks=f"failed in batch {batch.id}: {reason}",
        )
        if entitlement.uscc is not None:
            uow.publish(
                events.ENTITLEMENT_TOPIC,
                events.entitlement_event(
                    events.failed(
                        entitlement_id=entitlement.id,
                        uscc=entitlement.uscc,
                        policy_code=entitlement.policy_code,
                        amount_fen=line.amount_fen,
                        batch_id=batch.id,
                        failed_on=on,
                        reason=reason,
                    )
                ),
            )
        line.status = LineStatus.FAILED.value
    # A certificate revoked for false declaration while this line was with the bank: the
    # recovery order waiting on the result opens (paid) or the award is cancelled (failed).
    await clawback.after_settlement(
        uow, entitlement.id, paid=result.outcome is domain.Outcome.PAID, actor=actor
    )
    line.result_on = on
    line.bank_reference = result.bank_reference
    line.failure_reason = result.failure_reason
    line.result_at, line.result_by = clock.now(), actor
    await uow.flush()
    return True


async def post_results(
    database: Database, *, batch_id: str, command: ResultsPost, actor: Principal
) -> ResultsReport:
    """The bank's results, all or nothing: every line's result is checked and applied in one
    transaction; when every line has one, the batch is reconciled (or results_posted, if the
    reconciliation shows a difference)."""
    seen: set[str] = set()
    for index, result in enumerate(command.results):
        if result.line_id in seen:
            raise InvalidInput(
                "line_repeated",
                f"Line {result.line_id} appears twice in the results",
                f"明细 {result.line_id} 在结果中重复出现",
                field=f"results[{index}].line_id",
            )
        seen.add(result.line_id)
        _check_result(index, result)
    async with UnitOfWork(database) as uow:
        batch = await _batch(uow, batch_id, actor, for_update=True)
        if BatchStatus(batch.status) not in ACCEPTS_RESULTS:
            raise _refuse_status(
                batch, "results are posted to a sealed batch", "只能对已封版的批次登记结果"
            )
        lines = {line.id: line for line in await repository.lines_of(uow.session, batch.id)}
        applied = unchanged = 0
        for index, result in enumerate(command.results):
            line = lines.get(result.line_id)
            if line is None:
                raise InvalidInput(
                    "line_not_in_batch",
                    f"Line {result.line_id} is not in batch {batch.id}",
                    f"明细 {result.line_id} 不属于批次 {batch.id}",
                    field=f"results[{index}].line_id",
                )
            if await apply_line_result(uow, batch, line, result, actor=actor.subject):
                applied += 1
            else:
                unchanged += 1
        if applied:
            if all(line.status != LineStatus.PENDING.value for line in lines.values()):
                batch.status = domain.settled_status(await _reconcile(uow, batch)).value
            _touch(batch, actor.subject)
            await uow.flush()
        detail = await _detail(uow, batch)
        await uow.commit()
    return ResultsReport(applied=applied, unchanged=unchanged, batch=detail)


# --- reconciliation -----------------------------------------------------------------------------


async def _reconcile(uow: UnitOfWork, batch: PaymentBatch) -> domain.Reconciliation:
    lines: Sequence[PaymentLine] = await repository.lines_of(uow.session, batch.id)
    amounts = await repository.entitlement_amounts(
        uow.session, [line.entitlement_id for line in lines]
    )
    ledger = await repository.ledger_payments(uow.session, batch.id)
    facts = []
    for line in lines:
        ref = repository.subject_ref(line.entitlement_id)
        facts.append(
            domain.LineFacts(
                line_id=line.id,
                entitlement_id=line.entitlement_id,
                amount_fen=line.amount_fen,
                status=LineStatus(line.status),
                entitlement_amount_fen=amounts.get(line.entitlement_id, 0),
                ledger_paid_fen=ledger.pop(ref, None),
            )
        )
    return domain.reconcile(
        domain.Totals(batch.control_count, batch.control_sum_fen),
        facts,
        sorted(ledger.items()),
    )


async def reconciliation(
    database: Database, *, batch_id: str, actor: Principal
) -> ReconciliationRead:
    """Control totals vs lines vs results vs the ledger's payments for this batch; every
    difference listed."""
    async with UnitOfWork(database) as uow:
        batch = await _batch(uow, batch_id, actor)
        report = await _reconcile(uow, batch)
        return ReconciliationRead(
            batch_id=batch.id,
            status=BatchStatus(batch.status),
            control=totals_read(report.control),
            lines=totals_read(report.lines),
            paid=totals_read(report.paid),
            failed=totals_read(report.failed),
            pending=totals_read(report.pending),
            ledger=totals_read(report.ledger),
            balanced=report.balanced,
            differences=[
                DifferenceRead(
                    code=d.code,
                    message_en=d.message_en,
                    message_zh=d.message_zh,
                    line_id=d.line_id,
                    expected=d.expected,
                    actual=d.actual,
                )
                for d in report.differences
            ],
        )
