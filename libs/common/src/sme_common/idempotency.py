"""``Idempotency-Key`` on POSTs: the same key and body replay the first response; the same key with
another body is a 409.

The key is recorded in the same transaction as the effect (``run_once``), so a retried request can
never act twice, even when two copies arrive at once: the second insert waits on the first one's
unique-index entry and then finds its committed response.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.db.engine import Database
from sme_common.db.uow import UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.events.tables import idempotency_record

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


@dataclass(frozen=True)
class IdempotencyKey:
    key: str
    principal: str
    method: str
    path: str
    request_hash: str


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool = False

    def response(self) -> JSONResponse:
        headers = {REPLAY_HEADER: "true"} if self.replayed else None
        return JSONResponse(self.body, status_code=self.status_code, headers=headers)


async def idempotency_key_from(request: Request, principal_subject: str) -> IdempotencyKey | None:
    """Read the header (absent → None) and fingerprint the request body."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY_PATTERN.match(key):
        raise InvalidInput(
            "idempotency_key_invalid",
            "Idempotency-Key must be 1–200 characters of letters, digits and . _ : -",
            "Idempotency-Key 须为 1–200 个字母、数字或 . _ : - 字符",
            field=HEADER,
        )
    body = await request.body()
    return IdempotencyKey(
        key=key,
        principal=principal_subject,
        method=request.method,
        path=request.url.path,
        request_hash=hashlib.sha256(body).hexdigest(),
    )


async def _begin(session: AsyncSession, idem: IdempotencyKey) -> Outcome | None:
    inserted = await session.execute(
        pg_insert(idempotency_record)
        .values(
            principal=idem.principal,
            key=idem.key,
            method=idem.method,
            path=idem.path,
            request_hash=idem.request_hash,
        )
        .on_conflict_do_nothing()
        .returning(idempotency_record.c.key)
    )
    if inserted.first() is not None:
        return None
    row = (
        await session.execute(
            select(idempotency_record).where(
                idempotency_record.c.principal == idem.principal,
                idempotency_record.c.key == idem.key,
            )
        )
    ).one()
    if (row.method, row.path, row.request_hash) != (idem.method, idem.path, idem.request_hash):
        raise Conflict(
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request",
            "该 Idempotency-Key 已用于另一个不同的请求",
            field=HEADER,
        )
    return Outcome(row.status_code, row.response_body, replayed=True)


async def run_once(
    database: Database,
    idem: IdempotencyKey | None,
    operation: Callable[[UnitOfWork], Awaitable[tuple[int, Any]]],
) -> Outcome:
    """Run ``operation`` in one unit of work, recording its response under the key if one is given.

    ``operation`` does the work and returns (status, JSON-able body); it does not commit.
    """
    async with UnitOfWork(database) as uow:
        if idem is not None:
            stored = await _begin(uow.session, idem)
            if stored is not None:
                return stored
        status_code, body = await operation(uow)
        if idem is not None:
            await uow.session.execute(
                update(idempotency_record)
                .where(
                    idempotency_record.c.principal == idem.principal,
                    idempotency_record.c.key == idem.key,
                )
                .values(status_code=status_code, response_body=body)
            )
        await uow.commit()
    return Outcome(status_code, body)
