"""Clawback (追回, issue 9 item 6): a certificate revoked for false declaration recovers the awards
it caused, once whatever is replayed; money received back is recorded against the order.

For every entitlement the certificate caused (``entitlements.repository.entitlements_caused_by``):

- blocked / pending_approval / failed → cancelled (a failed one also releases its budget);
- approved → cancelled and its budget commitment released (no money left);
- paid → a recovery order (open), ``budgets.raise_recovery`` and funding.clawback.raised.v1;
- in_batch (money possibly in flight) → a recovery order ``awaiting_settlement``; the payments
  module calls ``after_settlement`` when the bank's result is posted;
- cancelled / not_payable → nothing.

Functions taking a ``UnitOfWork`` never commit: the caller (the consumer runner, the payments
module) commits them with its own change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

import structlog

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.contracts.events.certification.models import CertificateRevokedV1
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, not_found
from sme_funding.budgets import service as budgets
from sme_funding.clawback import domain, events, repository
from sme_funding.clawback.domain import RecoveryStatus
from sme_funding.clawback.models import RecoveryOrder
from sme_funding.clawback.schemas import (
    ReceiptCreate,
    RecoveryOrderDetail,
    RecoveryOrderFilters,
    RecoveryOrderPage,
    RecoveryOrderRead,
    RecoveryReceiptRead,
)
from sme_funding.entitlements import repository as entitlements
from sme_funding.entitlements import service as entitlement_service
from sme_funding.entitlements.domain import EntitlementStatus
from sme_funding.entitlements.models import Entitlement

log = structlog.get_logger(__name__)

ORDER = Resource("recovery_order", "recovery order {key}", "追回令 {key}")
CURSOR = KeyCursor(re.compile(r"^rec_[0-9a-f]{16}$"))
ACTOR = "consumer:funding.certificates/clawback"
SETTLEMENT_ACTOR = "payments/clawback"
S = EntitlementStatus


def subject_ref(entitlement_id: str) -> str:
    return f"entitlement:{entitlement_id}"


# --- the revocation (inside the certificates consumer's unit of work) ---------------------------


async def certificate_revoked(uow: UnitOfWork, revoked: CertificateRevokedV1) -> int:
    """Decide once on a revoked certificate; the number of recovery orders created (0 on a
    replay and for any ground but a false declaration)."""
    reason_code = revoked.reason_code if isinstance(revoked.reason_code, str) else None
    falsification = revoked.falsification if isinstance(revoked.falsification, bool) else None
    clawback = domain.recovers(reason_code, falsification)
    first = await repository.decide_once(
        uow.session,
        {
            "certificate_id": revoked.certificate_id,
            "uscc": revoked.uscc,
            "reason_code": reason_code,
            "clawback": clawback,
            "revoked_on": revoked.revoked_on,
            "decided_at": clock.now(),
        },
    )
    if not first or not clawback:
        return 0
    reason = f"证书 {revoked.certificate_id} 因虚假申报被撤销 / revoked for false declaration"
    if revoked.reason:
        reason = f"{reason}: {revoked.reason}"[:1000]
    caused = await entitlements.entitlements_caused_by(
        uow.session, revoked.certificate_id, for_update=True
    )
    orders = 0
    for entitlement in caused:
        orders += await _claw_back(uow, entitlement, reason)
    log.info(
        "clawback.certificate_revoked",
        certificate_id=revoked.certificate_id,
        entitlements=len(caused),
        orders=orders,
    )
    return orders


async def _claw_back(uow: UnitOfWork, entitlement: Entitlement, reason: str) -> int:
    status = S(entitlement.status)
    if status in (S.BLOCKED, S.PENDING_APPROVAL):
        await _cancel(uow, entitlement, ACTOR, release=False)
        return 0
    if status in (S.APPROVED, S.FAILED):
        await _cancel(uow, entitlement, ACTOR, release=True)
        return 0
    if status is S.PAID:
        order = await _new_order(uow, entitlement, reason, RecoveryStatus.OPEN)
        await _raise(uow, order, ACTOR)
        return 1
    if status is S.IN_BATCH:
        await _new_order(uow, entitlement, reason, RecoveryStatus.AWAITING_SETTLEMENT)
        return 1
    return 0  # cancelled, not payable: nothing was or will be paid


async def _cancel(uow: UnitOfWork, entitlement: Entitlement, actor: str, *, release: bool) -> None:
    await entitlement_service.move_status(
        uow,
        entitlement,
        S.CANCELLED,
        actor=actor,
        remarks="证书因虚假申报被撤销 / certificate revoked for false declaration",
    )
    if release and await budgets.get_commitment(uow, subject_ref(entitlement.id)) is not None:
        await budgets.release(uow, subject_ref(entitlement.id), actor)


async def _new_order(
    uow: UnitOfWork, entitlement: Entitlement, reason: str, status: RecoveryStatus
) -> RecoveryOrder:
    existing = await repository.order_of_entitlement(uow.session, entitlement.id, for_update=True)
    if existing is not None:
        return existing
    at = clock.now()
    order = RecoveryOrder(
        id=f"rec_{secrets.token_hex(8)}",
        entitlement_id=entitlement.id,
        certificate_id=entitlement.certificate_id or "",
        uscc=entitlement.uscc or entitlement.payee_id,
        region_code=entitlement.region_code,
        county_code=entitlement.county_code,
        policy_code=entitlement.policy_code,
        fund_code=entitlement.fund_code,
        year=entitlement.year,
        amount_fen=entitlement.amount_fen,
        recovered_fen=0,
        status=status.value,
        raised_on=None,
        reason=reason,
        created_at=at,
        updated_at=at,
        updated_by=ACTOR,
        version=1,
    )
    await repository.add_order(uow.session, order)
    return order


async def _raise(uow: UnitOfWork, order: RecoveryOrder, actor: str) -> None:
    """Open the order for what was paid and not yet ordered back: the budget's receivable, the
    ledger entry and funding.clawback.raised.v1."""
    ref = subject_ref(order.entitlement_id)
    raised_on = clock.business_today()
    commitment = await budgets.get_commitment(uow, ref)
    if commitment is not None:
        recoverable = commitment.paid_fen - commitment.recovery_raised_fen
        if recoverable > 0:
            order.amount_fen = recoverable
            await budgets.raise_recovery(uow, ref, recoverable, raised_on, order.id, actor=actor)
    else:  # paid outside the budget module (never through this platform's payments)
        log.warning("clawback.no_commitment", entitlement_id=order.entitlement_id)
    order.status = RecoveryStatus.OPEN.value
    order.raised_on = raised_on
    order.updated_at, order.updated_by = clock.now(), actor
    order.version += 1
    await uow.flush()
    uow.publish(events.CLAWBACK_TOPIC, events.clawback_event(events.raised(order)))


async def after_settlement(
    uow: UnitOfWork, entitlement_id: str, paid: bool, *, actor: str = SETTLEMENT_ACTOR
) -> RecoveryOrder | None:
    """The bank's result for an entitlement that was in a batch when its certificate was revoked
    for false declaration (the payments module calls it for every posted result, after moving the
    entitlement to paid or failed; a no-op without an order awaiting settlement).

    paid → the order opens (raise_recovery, funding.clawback.raised.v1); failed (or the batch
    withdrawn) → the order is cancelled, the entitlement cancelled and its budget released."""
    order = await repository.order_of_entitlement(uow.session, entitlement_id, for_update=True)
    if order is None or order.status != RecoveryStatus.AWAITING_SETTLEMENT.value:
        return None
    if paid:
        await _raise(uow, order, actor)
        return order
    entitlement = await entitlements.by_id(uow.session, entitlement_id, for_update=True)
    assert entitlement is not None  # the order's foreign key
    if entitlement.status == S.IN_BATCH.value:  # the result not applied to it yet
        await entitlement_service.move_status(
            uow, entitlement, S.FAILED, actor=actor, remarks="payment failed"
        )
    if entitlement.status in (S.FAILED.value, S.APPROVED.value):
        await _cancel(uow, entitlement, actor, release=True)
    order.status = RecoveryStatus.CANCELLED.value
    order.updated_at, order.updated_by = clock.now(), actor
    order.version += 1
    await uow.flush()
    return order


# --- the API ------------------------------------------------------------------------------------


def _read(order: RecoveryOrder) -> RecoveryOrderRead:
    return RecoveryOrderRead(
        id=order.id,
        entitlement_id=order.entitlement_id,
        certificate_id=order.certificate_id,
        uscc=order.uscc,
        region_code=order.region_code,
        county_code=order.county_code,
        policy_code=order.policy_code,
        fund_code=order.fund_code,
        year=order.year,
        amount_fen=order.amount_fen,
        recovered_fen=order.recovered_fen,
        outstanding_fen=order.amount_fen - order.recovered_fen,
        status=RecoveryStatus(order.status),
        raised_on=order.raised_on,
        reason=order.reason,
        created_at=order.created_at,
        updated_at=order.updated_at,
        version=order.version,
    )


async def _detail(uow: UnitOfWork, order: RecoveryOrder) -> RecoveryOrderDetail:
    receipts = await repository.receipts_of(uow.session, order.id)
    return RecoveryOrderDetail(
        **_read(order).model_dump(),
        receipts=[RecoveryReceiptRead.model_validate(r) for r in receipts],
    )


async def _in_scope(
    uow: UnitOfWork, order_id: str, actor: Principal, *, for_update: bool = False
) -> RecoveryOrder:
    order = await repository.in_scope(
        uow.session, order_id, actor.region_scope(), for_update=for_update
    )
    if order is None:
        raise not_found(ORDER, order_id, field="recovery_order_id")
    return order


async def get_order(database: Database, *, order_id: str, actor: Principal) -> RecoveryOrderDetail:
    async with UnitOfWork(database) as uow:
        return await _detail(uow, await _in_scope(uow, order_id, actor))


async def list_orders(
    database: Database, *, filters: RecoveryOrderFilters, actor: Principal
) -> RecoveryOrderPage:
    after = CURSOR.after(filters.cursor)
    where = repository.OrderQuery(
        status=filters.status.value if filters.status else None,
        uscc=filters.uscc,
        region_code=filters.region,
        certificate_id=filters.certificate_id,
    )
    async with UnitOfWork(database) as uow:
        rows: Sequence[RecoveryOrder] = await repository.page(
            uow.session, actor.region_scope(), where, after=after, limit=filters.limit
        )
        page, last = split_page(rows, filters.limit)
        return RecoveryOrderPage(
            items=[_read(o) for o in page],
            next_cursor=CURSOR.encode(last.id) if last is not None else None,
        )


async def record_receipt(
    database: Database, *, order_id: str, command: ReceiptCreate, actor: Principal
) -> tuple[RecoveryOrderDetail, bool]:
    """Money received back against an open order: the order and whether the receipt is new
    (a receipt sent again with the same reference, amount and day changes nothing)."""
    async with UnitOfWork(database) as uow:
        order = await _in_scope(uow, order_id, actor, for_update=True)
        known = await repository.receipt(uow.session, command.receipt_ref)
        if known is not None:
            same = (known.recovery_order_id, known.amount_fen, known.received_on) == (
                order.id,
                command.amount_fen,
                command.received_on,
            )
            if not same:
                raise _receipt_ref_reused(command.receipt_ref)
            return await _detail(uow, order), False
        _check_receivable(order, command)
        receipt = await repository.add_receipt(
            uow.session,
            {
                "recovery_order_id": order.id,
                "receipt_ref": command.receipt_ref,
                "amount_fen": command.amount_fen,
                "received_on": command.received_on,
                "recorded_at": clock.now(),
                "recorded_by": actor.subject,
            },
        )
        if receipt is None:  # the same reference recorded meanwhile against another order
            raise _receipt_ref_reused(command.receipt_ref)
        ref = subject_ref(order.entitlement_id)
        if await budgets.get_commitment(uow, ref) is not None:
            await budgets.record_recovery(
                uow,
                ref,
                command.amount_fen,
                command.received_on,
                f"{order.id}/{command.receipt_ref}",
                actor=actor.subject,
            )
        order.recovered_fen += command.amount_fen
        order.status = domain.status_after_receipt(order.amount_fen, order.recovered_fen).value
        order.updated_at, order.updated_by = clock.now(), actor.subject
        order.version += 1
        await uow.flush()
        uow.publish(events.CLAWBACK_TOPIC, events.clawback_event(events.recovered(order, receipt)))
        detail = await _detail(uow, order)
        await uow.commit()
    return detail, True


def _receipt_ref_reused(receipt_ref: str) -> Conflict:
    return Conflict(
        "receipt_ref_reused",
        f"Receipt {receipt_ref} was recorded already with another order, amount or day",
        f"回款凭证 {receipt_ref} 已按其他追回令、金额或日期登记",
        field="receipt_ref",
    )


def _check_receivable(order: RecoveryOrder, command: ReceiptCreate) -> None:
    if RecoveryStatus(order.status) not in domain.RECEIVABLE:
        raise Conflict(
            "recovery_order_status_conflict",
            f"Nothing can be received against a recovery order that is {order.status}",
            f"状态为 {order.status} 的追回令不能登记回款",
            field="status",
            extra={"status": order.status},
        )
    outstanding = order.amount_fen - order.recovered_fen
    if command.amount_fen > outstanding:
        raise Conflict(
            "recovery_exceeds_outstanding",
            f"{outstanding} fen are outstanding on this order, not {command.amount_fen}",
            f"该追回令待追回金额为 {outstanding} 分，不能登记 {command.amount_fen} 分",
            field="amount_fen",
            extra={"outstanding_fen": outstanding},
        )
    if command.received_on > clock.business_today():
        raise InvalidInput(
            "received_on_in_future",
            "received_on is after today",
            "到账日期晚于今天",
            field="received_on",
        )
    if order.raised_on is not None and command.received_on < order.raised_on:
        raise InvalidInput(
            "received_on_before_raised",
            f"received_on is before the order was raised ({order.raised_on})",
            f"到账日期早于追回令下达日期（{order.raised_on}）",
            field="received_on",
        )
