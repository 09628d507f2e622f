"""Bodies and helpers the complaints tests share."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from sme_common.clock import FixedClock
from sme_common.db import UnitOfWork
from sme_common.directory.consumers import record_registered_enterprise
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc

API = "/api/complaints/v1"
COMPLAINANT = make_uscc(region="620102", body="CP000001")
RESPONDENT = make_uscc(region="620102", body="RT000001")
PROVINCE = {"role": "province_officer", "region": "620000"}
HOTLINE_SCOPES = ("complaints:read", "complaints:write")


def complaint(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category_code": "overdue_goods",
        "work_order_no": "GS12345-20260923-0001",
        "complainant": {
            "uscc": COMPLAINANT,
            "name": "兰州测试机械有限公司",
            "size_class": "small",
            "contact": {"name": "张三", "phone": "13800000000"},
        },
        "respondent": {
            "name": "城关区某某局",
            "type": "government_body",
            "region_code": "620102",
        },
        "contract": {
            "signed_on": "2025-07-01",
            "subject": "goods",
            "amount_fen": 120_000_000,
            "delivered_on": "2025-08-01",
        },
        "amount_owed_fen": 60_000_000,
        "other_proceedings": {"seized": False},
        "evidence": [{"kind": "contract", "title": "采购合同"}],
    }
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target[parent]
        if value is ...:
            target.pop(leaf, None)
        else:
            target[leaf] = copy.deepcopy(value)
    return body


async def register(client: httpx.AsyncClient, uscc: str, founded: str = "2015-03-01") -> None:
    """``uscc`` in the directory, as registry's event would put it there."""
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await record_registered_enterprise(
            uow,
            CloudEvent(
                type="registry.enterprise.registered.v1",
                source="/sme/registry",
                subject=uscc,
                data={
                    "uscc": uscc,
                    "name": f"测试企业{uscc[-3:]}",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "founded_on": founded,
                    "operating_status": "operating",
                    "registered_at": "2026-01-05T08:00:00+00:00",
                    "version": 1,
                },
            ),
        )
        await uow.commit()


async def step(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case_id: str,
    action: str,
    version: int,
    **fields: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/cases/{case_id}/steps",
        headers=headers,
        json={"action": action, "version": version, **fields},
    )


def move_to(clock: FixedClock, day: date) -> None:
    """Move the business clock to 10:00 Beijing on ``day``."""
    current = clock.now().date()
    clock.advance(timedelta(days=(day - current).days))


async def event_types(client: httpx.AsyncClient) -> list[str]:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(text("SELECT event_type FROM outbox_message ORDER BY id"))
        return [r[0] for r in rows]


async def audit_reads(client: httpx.AsyncClient, resource_type: str) -> list[str]:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(
            text(
                "SELECT resource_id FROM audit_record WHERE action = 'read' "
                "AND resource_type = :t ORDER BY position"
            ),
            {"t": resource_type},
        )
        return [r[0] for r in rows]
