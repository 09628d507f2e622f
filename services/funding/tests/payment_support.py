"""Helpers of the payments tests: a fund allocated to 兰州 and 天水, and entitlements in the state the
approval module leaves them (status ``approved`` with a budget commitment
``entitlement:<id>``), made directly: a certificate grant delivered to the consumer, then the
budget commitment and the status move in one unit of work."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from services.funding.tests.budget_support import allocate, create_fund
from services.funding.tests.entitlement_support import (
    CHENGGUAN,
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    database_of,
    entitlements_of,
    grant,
    granted,
    known_enterprise,
)
from sme_common.db import Database, UnitOfWork
from sme_common.events.consumer import Outcome
from sme_common.events.tables import outbox_message
from sme_common.testing.plugin import TokenFactory
from sme_funding.budgets import service as budgets
from sme_funding.entitlements import repository, service
from sme_funding.entitlements.domain import EntitlementStatus

BATCHES = "/api/funding/v1/payment-batches"
FUND_CODE = "sme-development-fund"
__all__ = ["CHENGGUAN", "LANZHOU", "QINZHOU", "TIANSHUI", "database_of"]


def province(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


async def funded(client: httpx.AsyncClient, bearer: TokenFactory) -> dict[str, Any]:
    """A 2026 fund of 10亿 fen, 2亿 fen allocated to each of 兰州 and 天水."""
    headers = province(bearer)
    fund = await create_fund(client, headers, total_fen=1_000_000_000)
    for region in (LANZHOU, TIANSHUI):
        assert (await allocate(client, headers, fund["id"], region, 200_000_000)).status_code == 201
    return fund


async def approve(database: Database, entitlement_id: str) -> None:
    """What the approval module does: commit the budget, move pending_approval → approved."""
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
            actor="test-approver",
        )
        await service.move_status(
            uow, entitlement, EntitlementStatus.APPROVED, actor="test-approver"
        )
        await uow.commit()


async def entitlement(
    client: httpx.AsyncClient,
    body: str,
    *,
    region: str = CHENGGUAN,
    unit: str = LANZHOU,
    approved: bool = True,
) -> str:
    """An enterprise's 30万 first-certificate entitlement (approved unless told otherwise)."""
    db = database_of(client)
    uscc = await known_enterprise(db, body, region=region, unit=unit)
    assert await grant(db, granted(uscc, f"cert_{body.lower()}")) is Outcome.APPLIED
    [made] = await entitlements_of(db, uscc)
    if approved:
        await approve(db, made.id)
    return made.id


async def status_of(database: Database, entitlement_id: str) -> str:
    async with UnitOfWork(database) as uow:
        found = await repository.by_id(uow.session, entitlement_id)
        assert found is not None
        return found.status


async def make_batch(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> httpx.Response:
    return await client.post(BATCHES, json={"fund_code": FUND_CODE, **body}, headers=headers)


async def sealed_batch(
    client: httpx.AsyncClient, headers: dict[str, str], **body: Any
) -> dict[str, Any]:
    made = await make_batch(client, headers, **body)
    assert made.status_code == 201, made.text
    batch = made.json()
    sealed = await client.post(
        f"{BATCHES}/{batch['id']}/seal", json={"version": batch["version"]}, headers=headers
    )
    assert sealed.status_code == 200, sealed.text
    return sealed.json()  # type: ignore[no-any-return]


def paid(line_id: str, on: str = "2026-06-09", ref: str = "ICBC-0001") -> dict[str, Any]:
    return {"line_id": line_id, "outcome": "paid", "paid_on": on, "bank_reference": ref}


def failed(line_id: str, reason: str = "账户已销户 / account closed") -> dict[str, Any]:
    return {
        "line_id": line_id,
        "outcome": "failed",
        "paid_on": "2026-06-09",
        "failure_reason": reason,
    }


async def post_results(
    client: httpx.AsyncClient, headers: dict[str, str], batch_id: str, *results: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"{BATCHES}/{batch_id}/results", json={"results": list(results)}, headers=headers
    )


async def events_of(database: Database, event_type: str) -> list[dict[str, Any]]:
    query = (
        select(outbox_message.c.topic, outbox_message.c.payload)
        .where(outbox_message.c.event_type == event_type)
        .order_by(outbox_message.c.id)
    )
    async with database.sessionmaker() as session:
        rows = (await session.execute(query)).all()
    return [{"topic": r.topic, **json.loads(r.payload)} for r in rows]
