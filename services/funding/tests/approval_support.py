"""Helpers of the approvals tests: a fund with 兰州's allocation, pending entitlements (from a
granted certificate, or stored directly for amounts no policy gives yet), steps through the API,
and what the store holds afterwards."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx
from sqlalchemy import func, select

from services.funding.tests.budget_support import allocate, create_fund
from services.funding.tests.entitlement_support import (
    LANZHOU,
    URL,
    database_of,
    entitlements_of,
    grant,
    granted,
    known_enterprise,
)
from sme_common import clock
from sme_common.db import Database, UnitOfWork
from sme_common.events.tables import outbox_message
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_funding.approvals.models import ApprovalStep
from sme_funding.budgets import service as budgets
from sme_funding.budgets.domain import Commitment
from sme_funding.entitlements import repository
from sme_funding.entitlements.models import Entitlement
from sme_funding.ledger.service import LedgerCheck, check_ledger

PROVINCE = "620000"
FUND_CODE = "sme-development-fund"


class Officers:
    """The tokens of one approval: the 兰州 市州 officer, two province officers, others."""

    def __init__(self, bearer: TokenFactory) -> None:
        self.city = bearer("city_officer", region=LANZHOU, subject="city:lanzhou:zhang")
        self.city_other = bearer("city_officer", region=LANZHOU, subject="city:lanzhou:li")
        self.province = bearer("province_officer", region=PROVINCE, subject="prov:wang")
        self.leader = bearer("province_officer", region=PROVINCE, subject="prov:leader:zhao")
        self.manager = bearer("province_officer", region=PROVINCE, subject="prov:budget")


async def fund_with_allocation(
    client: httpx.AsyncClient, officers: Officers, allocated_fen: int
) -> str:
    fund = await create_fund(client, officers.manager, total_fen=10 * allocated_fen + 1)
    response = await allocate(client, officers.manager, fund["id"], LANZHOU, allocated_fen)
    assert response.status_code == 201, response.text
    return str(fund["id"])


async def certificate_entitlement(client: httpx.AsyncClient, body: str) -> Entitlement:
    """The 30万 Gansu first-provincial-certificate award of a 城关区 enterprise."""
    db = database_of(client)
    uscc = await known_enterprise(db, body)
    await grant(db, granted(uscc, f"cert_{body.lower()}"))
    [entitlement] = await entitlements_of(db, uscc)
    assert entitlement.status == "pending_approval"
    return entitlement


async def stored_entitlement(
    client: httpx.AsyncClient, amount_fen: int, *, made_by: str = "consumer:funding.certificates"
) -> Entitlement:
    """A pending entitlement of ``amount_fen`` stored as the entitlements module stores one
    (for amounts above what a certificate award gives), made by ``made_by``."""
    db = database_of(client)
    uscc = make_uscc(region="620102", body=f"AQ{secrets.token_hex(3).upper()}")
    at = clock.now()
    async with UnitOfWork(db) as uow:
        entitlement_id = await repository.insert_once(
            uow.session,
            {
                "id": f"ent_{secrets.token_hex(8)}",
                "policy_code": "HB-RD-PLATFORM",
                "policy_version": "test",
                "trigger_key": f"test:{secrets.token_hex(8)}",
                "payee_kind": "enterprise",
                "payee_id": uscc,
                "uscc": uscc,
                "region_code": LANZHOU,
                "county_code": "620102",
                "fund_code": FUND_CODE,
                "year": 2026,
                "amount_fen": amount_fen,
                "full_amount_fen": amount_fen,
                "explanation": [],
                "status": "pending_approval",
                "blocked_reason": None,
                "certificate_id": None,
                "created_at": at,
                "updated_at": at,
                "version": 1,
            },
        )
        assert entitlement_id is not None
        await repository.add_step(
            uow.session,
            entitlement_id=entitlement_id,
            from_status=None,
            to_status="pending_approval",
            actor=made_by,
            at=at,
        )
        await uow.commit()
    return await entitlement_now(db, entitlement_id)


async def entitlement_now(db: Database, entitlement_id: str) -> Entitlement:
    async with db.sessionmaker() as session:
        found = await session.get(Entitlement, entitlement_id)
        assert found is not None
        return found


async def step(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    entitlement_id: str,
    action: str = "approve",
    *,
    version: int | None,
    remarks: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"action": action}
    if version is not None:
        body["version"] = version
    if remarks is not None:
        body["remarks"] = remarks
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        f"{URL}/entitlements/{entitlement_id}/approval/steps",
        json=body,
        headers={**headers, **extra},
    )


async def approval(
    client: httpx.AsyncClient, headers: dict[str, str], entitlement_id: str
) -> dict[str, Any]:
    response = await client.get(f"{URL}/entitlements/{entitlement_id}/approval", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def approve_through(
    client: httpx.AsyncClient, entitlement_id: str, chain: list[dict[str, str]]
) -> httpx.Response:
    """Approve every step with the tokens given, one per step; the last answer."""
    response: httpx.Response | None = None
    for headers in chain:
        current = await approval(client, headers, entitlement_id)
        response = await step(client, headers, entitlement_id, version=current["version"])
        assert response.status_code == 200, response.text
    assert response is not None
    return response


async def commitment(db: Database, entitlement_id: str) -> Commitment | None:
    async with UnitOfWork(db) as uow:
        return await budgets.get_commitment(uow, f"entitlement:{entitlement_id}")


async def ledger(db: Database) -> LedgerCheck:
    async with db.sessionmaker() as session:
        return await check_ledger(session)


async def approved_events(db: Database) -> list[dict[str, Any]]:
    query = (
        select(outbox_message.c.topic, outbox_message.c.payload)
        .where(outbox_message.c.event_type == "funding.entitlement.approved.v1")
        .order_by(outbox_message.c.id)
    )
    async with db.sessionmaker() as session:
        rows = (await session.execute(query)).all()
    return [{"topic": r.topic, **json.loads(r.payload)} for r in rows]


async def step_count(db: Database, entitlement_id: str) -> int:
    query = select(func.count()).where(ApprovalStep.entitlement_id == entitlement_id)
    async with db.sessionmaker() as session:
        return int(await session.scalar(query) or 0)
