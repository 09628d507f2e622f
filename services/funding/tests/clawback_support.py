"""Helpers of the clawback and report tests: the approved, in-batch and paid states are made
directly through the budget API and ``move_status`` (the approval and payment modules are built
elsewhere), exactly as those modules will: commitment ``entitlement:<id>``, then the status."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
from sqlalchemy import select

from services.funding.tests.budget_support import allocate, create_fund
from services.funding.tests.entitlement_support import certification_event
from sme_common.contracts.events.certification.models import CertificateRevokedV1
from sme_common.db import Database, UnitOfWork
from sme_common.events.envelope import CloudEvent
from sme_common.events.tables import outbox_message
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.entitlements import repository
from sme_funding.entitlements.domain import EntitlementStatus
from sme_funding.entitlements.service import move_status

FUND_CODE = "sme-development-fund"
ACTOR = "test"


async def funded(
    client: httpx.AsyncClient, bearer: TokenFactory, region: str, amount_fen: int
) -> dict[str, Any]:
    """The 2026 fund of Gansu (the policy book's fund code) with ``amount_fen`` for ``region``."""
    province = bearer("province_officer", region="620000")
    fund = await create_fund(client, province, total_fen=10 * amount_fen)
    assert (await allocate(client, province, fund["id"], region, amount_fen)).status_code == 201
    return fund


async def approve(database: Database, entitlement_id: str) -> None:
    async with UnitOfWork(database) as uow:
        entitlement = await repository.by_id(uow.session, entitlement_id, for_update=True)
        assert entitlement is not None
        await budgets.commit(
            uow,
            fund_code=entitlement.fund_code,
            year=entitlement.year,
            region_code=entitlement.region_code,
            amount_fen=entitlement.amount_fen,
            subject_ref=f"entitlement:{entitlement.id}",
            actor=ACTOR,
        )
        await move_status(uow, entitlement, EntitlementStatus.APPROVED, actor=ACTOR)
        await uow.commit()


async def into_batch(database: Database, entitlement_id: str) -> None:
    await approve(database, entitlement_id)
    async with UnitOfWork(database) as uow:
        entitlement = await repository.by_id(uow.session, entitlement_id, for_update=True)
        assert entitlement is not None
        await move_status(uow, entitlement, EntitlementStatus.IN_BATCH, actor=ACTOR)
        await uow.commit()


async def settle(
    database: Database, entitlement_id: str, *, paid: bool, on: date = date(2026, 6, 5)
) -> None:
    """The bank's result for an entitlement in a batch (without calling the clawback)."""
    async with UnitOfWork(database) as uow:
        entitlement = await repository.by_id(uow.session, entitlement_id, for_update=True)
        assert entitlement is not None
        ref = f"entitlement:{entitlement.id}"
        if paid:
            await budgets.record_payment(uow, ref, entitlement.amount_fen, on, "batch_1")
            await move_status(uow, entitlement, EntitlementStatus.PAID, actor=ACTOR)
        else:
            await budgets.record_payment_failure(uow, ref, "batch_1", "account closed", on)
            await move_status(uow, entitlement, EntitlementStatus.FAILED, actor=ACTOR)
        await uow.commit()


async def pay(database: Database, entitlement_id: str) -> None:
    await into_batch(database, entitlement_id)
    await settle(database, entitlement_id, paid=True)


def revoked_for(
    uscc: str,
    certificate_id: str,
    *,
    reason_code: str | None = "false_declaration",
    falsification: bool | None = None,
    revoked_on: date = date(2026, 6, 8),
) -> CloudEvent:
    data: dict[str, Any] = {
        "certificate_id": certificate_id,
        "uscc": uscc,
        "tier": "specialised",
        "revoked_on": revoked_on,
        "reason": f"撤销（{reason_code or 'falsification'}）",
    }
    if reason_code is not None:
        data["reason_code"] = reason_code
    if falsification is not None:
        data["falsification"] = falsification
    return certification_event(CertificateRevokedV1.model_validate(data))


async def outbox_events(database: Database, event_type: str) -> list[dict[str, Any]]:
    query = (
        select(outbox_message.c.payload, outbox_message.c.topic, outbox_message.c.key)
        .where(outbox_message.c.event_type == event_type)
        .order_by(outbox_message.c.id)
    )
    async with database.sessionmaker() as session:
        rows = (await session.execute(query)).all()
    return [{"topic": r.topic, "key": r.key, **json.loads(r.payload)} for r in rows]
