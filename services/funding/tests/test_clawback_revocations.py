"""Clawback (追回): a certificate revoked for false declaration recovers the awards it caused —
a paid one by a recovery order (budget receivable, ledger entry, event), an approved one by
cancelling and releasing its budget, one in a batch once the bank's result is known — once,
whatever is replayed; any other ground of revocation raises nothing."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import func, select

from services.funding.tests.clawback_support import (
    approve,
    funded,
    into_batch,
    outbox_events,
    pay,
    revoked_for,
    settle,
)
from services.funding.tests.entitlement_support import (
    CHENGGUAN,
    LANZHOU,
    WAN,
    database_of,
    entitlements_of,
    grant,
    granted,
    known_enterprise,
)
from sme_common.contracts.events.certification.models import CertificateRevokedV1
from sme_common.db import Database, UnitOfWork
from sme_common.events.consumer import Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.clawback import service as clawback
from sme_funding.clawback.models import ClawbackCase, RecoveryOrder
from sme_funding.entitlements.models import Entitlement
from sme_funding.ledger.models import JournalEntry
from sme_funding.ledger.service import check_ledger

RAISED = "funding.clawback.raised.v1"


async def _awarded(db: Database, body: str, certificate_id: str) -> tuple[str, Entitlement]:
    """An enterprise of 城关区 (兰州) with its 30万 first provincial award, pending approval."""
    uscc = await known_enterprise(db, body)
    assert await grant(db, granted(uscc, certificate_id)) is Outcome.APPLIED
    [entitlement] = await entitlements_of(db, uscc)
    assert (entitlement.amount_fen, entitlement.status) == (30 * WAN, "pending_approval")
    return uscc, entitlement


async def _orders(db: Database, entitlement_id: str) -> list[RecoveryOrder]:
    async with db.sessionmaker() as session:
        query = select(RecoveryOrder).where(RecoveryOrder.entitlement_id == entitlement_id)
        return list(await session.scalars(query))


async def _status(db: Database, entitlement_id: str) -> str:
    async with db.sessionmaker() as session:
        entitlement = await session.get(Entitlement, entitlement_id)
        assert entitlement is not None
        return entitlement.status


async def _ledger(db: Database) -> dict[tuple[str, str], int]:
    async with db.sessionmaker() as session:
        report = await check_ledger(session)
    assert report.ok, report.as_dict()
    assert report.debit_fen == report.credit_fen
    return {(b["account"], b["region_code"]): b["balance_fen"] for b in report.balances}


async def _commitment(db: Database, entitlement_id: str) -> budgets.Commitment:
    async with UnitOfWork(db) as uow:
        found = await budgets.get_commitment(uow, f"entitlement:{entitlement_id}")
    assert found is not None
    return found


async def _recovery_entries(db: Database) -> int:
    async with db.sessionmaker() as session:
        query = select(func.count()).where(JournalEntry.kind == "recovery_raised")
        return int(await session.scalar(query) or 0)


async def test_a_false_declaration_after_payment_raises_a_recovery_order_that_the_ledger_holds(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, entitlement = await _awarded(db, "CB000001", "cert_cb01")
    await pay(db, entitlement.id)
    assert await grant(db, revoked_for(uscc, "cert_cb01")) is Outcome.APPLIED

    [order] = await _orders(db, entitlement.id)
    assert (order.status, order.amount_fen, order.recovered_fen) == ("open", 30 * WAN, 0)
    assert (order.uscc, order.region_code, order.county_code) == (uscc, LANZHOU, CHENGGUAN)
    assert order.raised_on == date(2026, 6, 10)  # the business clock's day
    assert order.certificate_id == "cert_cb01" and "虚假申报" in order.reason
    assert await _status(db, entitlement.id) == "paid"  # the award was paid: it stays paid
    commitment = await _commitment(db, entitlement.id)
    assert (commitment.paid_fen, commitment.recovery_raised_fen) == (30 * WAN, 30 * WAN)
    balances = await _ledger(db)
    assert balances[("paid", LANZHOU)] == 30 * WAN
    assert balances[("receivable:recovery", LANZHOU)] == 30 * WAN
    assert balances[("budget:available", LANZHOU)] == 70 * WAN
    [event] = await outbox_events(db, RAISED)
    assert (event["topic"], event["key"]) == ("funding.clawback", uscc)
    assert (event["clawback_id"], event["uscc"], event["amount_fen"]) == (
        order.id,
        uscc,
        30 * WAN,
    )


async def test_the_revocation_replayed_or_announced_twice_raises_nothing_more(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, entitlement = await _awarded(db, "CB000002", "cert_cb02")
    await pay(db, entitlement.id)
    event = revoked_for(uscc, "cert_cb02")
    assert await grant(db, event) is Outcome.APPLIED
    assert await grant(db, event) is Outcome.DUPLICATE  # the same record from the broker
    again = revoked_for(uscc, "cert_cb02")  # the same revocation under another event id
    assert again.id != event.id
    assert await grant(db, again) is Outcome.APPLIED
    async with UnitOfWork(db) as uow:  # and called directly, past the inbox
        assert await clawback.certificate_revoked(uow, _data(again)) == 0
        await uow.commit()
    assert len(await _orders(db, entitlement.id)) == 1
    assert len(await outbox_events(db, RAISED)) == 1
    assert await _recovery_entries(db) == 1
    assert (await _commitment(db, entitlement.id)).recovery_raised_fen == 30 * WAN
    await _ledger(db)


def _data(event: CloudEvent) -> CertificateRevokedV1:
    return CertificateRevokedV1.parse(event.data)


async def test_an_approved_award_is_cancelled_and_its_budget_released(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, entitlement = await _awarded(db, "CB000003", "cert_cb03")
    await approve(db, entitlement.id)
    assert (await _ledger(db))[("budget:committed", LANZHOU)] == 30 * WAN
    assert await grant(db, revoked_for(uscc, "cert_cb03")) is Outcome.APPLIED
    assert await _status(db, entitlement.id) == "cancelled"
    assert (await _commitment(db, entitlement.id)).status == "released"
    balances = await _ledger(db)
    assert balances[("budget:committed", LANZHOU)] == 0
    assert balances[("budget:available", LANZHOU)] == 100 * WAN
    assert await _orders(db, entitlement.id) == []
    assert await outbox_events(db, RAISED) == []


@pytest.mark.parametrize("falsification", [False, True])
async def test_a_pending_award_is_cancelled_by_either_spelling_of_false_declaration(
    client: httpx.AsyncClient, falsification: bool
) -> None:
    db = database_of(client)
    uscc, entitlement = await _awarded(db, "CB000004", "cert_cb04")
    event = (
        revoked_for(uscc, "cert_cb04", reason_code=None, falsification=True)
        if falsification
        else revoked_for(uscc, "cert_cb04")
    )
    assert await grant(db, event) is Outcome.APPLIED
    assert await _status(db, entitlement.id) == "cancelled"
    assert await _orders(db, entitlement.id) == []


async def test_an_award_in_a_batch_awaits_the_bank_then_opens_when_it_was_paid(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, entitlement = await _awarded(db, "CB000005", "cert_cb05")
    await into_batch(db, entitlement.id)
    assert await grant(db, revoked_for(uscc, "cert_cb05")) is Outcome.APPLIED
    [order] = await _orders(db, entitlement.id)
    assert (order.status, order.raised_on) == ("awaiting_settlement", None)
    assert await _status(db, entitlement.id) == "in_batch"
    assert await outbox_events(db, RAISED) == []
    assert (await _commitment(db, entitlement.id)).recovery_raised_fen == 0

    await settle(db, entitlement.id, paid=True)
    async with UnitOfWork(db) as uow:
        opened = await clawback.after_settlement(uow, entitlement.id, True)
        await uow.commit()
    assert opened is not None and opened.status == "open"
    [order] = await _orders(db, entitlement.id)
    assert (order.status, order.amount_fen, order.raised_on) == (
        "open",
        30 * WAN,
        date(2026, 6, 10),
    )
    assert (await _commitment(db, entitlement.id)).recovery_raised_fen == 30 * WAN
    assert (await _ledger(db))[("receivable:recovery", LANZHOU)] == 30 * WAN
    [event] = await outbox_events(db, RAISED)
    assert event["clawback_id"] == order.id
    async with UnitOfWork(db) as uow:  # a second result posted: nothing more
        assert await clawback.after_settlement(uow, entitlement.id, True) is None
        await uow.commit()
    assert len(await outbox_events(db, RAISED)) == 1
    assert await _recovery_entries(db) == 1


@pytest.mark.parametrize("applied_first", [True, False])
async def test_an_award_in_a_batch_whose_payment_failed_is_cancelled_and_released(
    client: httpx.AsyncClient, bearer: TokenFactory, applied_first: bool
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, entitlement = await _awarded(db, "CB000006", "cert_cb06")
    await into_batch(db, entitlement.id)
    assert await grant(db, revoked_for(uscc, "cert_cb06")) is Outcome.APPLIED
    if applied_first:  # the payments module moved it to failed before calling
        await settle(db, entitlement.id, paid=False)
    async with UnitOfWork(db) as uow:
        cancelled = await clawback.after_settlement(uow, entitlement.id, False)
        await uow.commit()
    assert cancelled is not None and cancelled.status == "cancelled"
    assert await _status(db, entitlement.id) == "cancelled"
    assert (await _commitment(db, entitlement.id)).status == "released"
    balances = await _ledger(db)
    assert balances[("budget:committed", LANZHOU)] == 0
    assert balances[("budget:available", LANZHOU)] == 100 * WAN
    assert balances.get(("receivable:recovery", LANZHOU), 0) == 0
    assert await outbox_events(db, RAISED) == []


@pytest.mark.parametrize("reason_code", ["violation", "failed_re_review"])
async def test_a_revocation_on_another_ground_raises_nothing(
    client: httpx.AsyncClient, bearer: TokenFactory, reason_code: str
) -> None:
    db = database_of(client)
    await funded(client, bearer, LANZHOU, 100 * WAN)
    uscc, paid = await _awarded(db, "CB000007", "cert_cb07")
    await pay(db, paid.id)
    other, pending = await _awarded(db, "CB000008", "cert_cb08")
    assert await grant(db, revoked_for(uscc, "cert_cb07", reason_code=reason_code)) is (
        Outcome.APPLIED
    )
    assert await grant(db, revoked_for(other, "cert_cb08", reason_code=reason_code)) is (
        Outcome.APPLIED
    )
    assert await _status(db, paid.id) == "paid"
    assert await _status(db, pending.id) == "pending_approval"
    assert await _orders(db, paid.id) == []
    assert await outbox_events(db, RAISED) == []
    assert (await _commitment(db, paid.id)).recovery_raised_fen == 0
    async with db.sessionmaker() as session:
        case = await session.get(ClawbackCase, "cert_cb07")
    assert case is not None and (case.clawback, case.reason_code) == (False, reason_code)
    await _ledger(db)
