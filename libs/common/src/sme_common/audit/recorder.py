"""Recording audit items: appended to the service's chain in the transaction of the write.

``UnitOfWork.commit`` calls ``seal_and_commit``: one statement that takes the chain lock, chains
what the row triggers captured in this transaction plus the items queued with ``uow.audit(...)``,
and the commit, sent together (``seal`` alone where the transaction is a test's savepoint), so the
lock is held for that statement and the commit only. Reads of personal data are recorded by
``audit_read`` (a route dependency).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.audit.context import Actor, current_actor
from sme_common.auth.principal import Principal
from sme_common.db.engine import Database
from sme_common.db.uow import UnitOfWork
from sme_common.observability.tracing import request_id_var

_SEAL = text("SELECT audit_seal(CAST(:actor AS jsonb), :request_id, CAST(:items AS jsonb))")
# The same statement in psycopg's own placeholders, for the pipeline of ``seal_and_commit``.
_SEAL_DRIVER_SQL = (
    "SELECT audit_seal(CAST(%(actor)s AS jsonb), %(request_id)s, CAST(%(items)s AS jsonb))"
)
# What a read record keeps of the request: enough to say what was asked, bounded in size.
_MAX_VALUE_CHARS = 200


@dataclass(frozen=True)
class AuditItem:
    action: str  # insert / update / delete (row triggers), read, or a domain verb
    resource_type: str
    resource_id: str | None
    before: Any = None
    after: Any = None
    detail: Any = None
    # Set when the item is sealed apart from its request (reads recorded in a batch); otherwise
    # the transaction's actor and request id apply.
    actor: Actor | None = None
    request_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        item = {
            "action": self.action,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "before": _plain(self.before),
            "after": _plain(self.after),
            "detail": _plain(self.detail),
        }
        if self.actor is not None:
            item["actor"] = self.actor.as_json()
        if self.request_id is not None:
            item["request_id"] = self.request_id
        return item


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


def _seal_parameters(items: Sequence[AuditItem]) -> dict[str, Any]:
    request_id = request_id_var.get()
    return {
        "actor": json.dumps(current_actor().as_json()),
        "request_id": _bounded(request_id) if request_id else None,
        "items": json.dumps([item.as_json() for item in items], default=str),
    }


async def seal(session: AsyncSession, items: Sequence[AuditItem]) -> None:
    """Chain this transaction's audit items (captured rows first, then ``items``)."""
    await session.execute(_SEAL, _seal_parameters(items))


async def seal_and_commit(session: AsyncSession, items: Sequence[AuditItem]) -> None:
    """``seal``, then commit, sent to PostgreSQL together (psycopg's pipeline mode).

    The chain lock the seal takes is held until the transaction ends. Sent one after the other,
    the COMMIT left only once this process had read the seal's answer; with the event loop busy
    (a burst of requests), that took milliseconds, every other writer of the service queued on the
    lock meanwhile, and the queue fed itself (complaints intake: six writers waiting on the seal on
    average, docs/benchmarks.md). Pipelined, the server commits right after the seal. An error is
    raised as SQLAlchemy raises it (a lost connection is invalidated and transient, a unique
    violation a 409), and the transaction is then rolled back by the unit of work."""
    await session.flush()  # what the ORM holds is written (and captured) before the seal
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    driver = pooled.driver_connection
    assert isinstance(driver, psycopg.AsyncConnection)
    parameters = _seal_parameters(items)
    try:
        async with driver.pipeline():
            await driver.execute(_SEAL_DRIVER_SQL, parameters)
            await driver.commit()
    except psycopg.Error as exc:
        lost = driver.closed or driver.broken  # what SQLAlchemy's psycopg dialect checks
        if lost:
            await connection.invalidate(exc)
        raise DBAPIError.instance(
            _SEAL_DRIVER_SQL,
            None,
            exc,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=connection.dialect,
        ) from exc
    # The connection is idle now: SQLAlchemy ends its transaction, psycopg sends nothing more.
    await session.commit()


async def record_read(database: Database, item: AuditItem) -> None:
    """A read of personal data, committed to the chain before the answer is sent.

    Reads arriving together share one transaction (group commit): each waits for the commit that
    holds its record, but one service's reads no longer queue one commit at a time on the chain
    lock (lookup throughput fell to a fifth when every read sealed alone).
    """
    batcher = _read_batchers.get(database)
    if batcher is None:
        batcher = _read_batchers[database] = _ReadBatcher(database)
    await batcher.record(item)


class _ReadBatcher:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._waiting: list[tuple[AuditItem, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def record(self, item: AuditItem) -> None:
        request_id = request_id_var.get()
        attributed = dataclasses.replace(
            item,
            actor=current_actor(),
            request_id=_bounded(request_id) if request_id else None,
        )
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((attributed, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with UnitOfWork(self._database) as uow:
                    for item, _ in batch:
                        uow.audit_item(item)
                    await uow.commit()
            except Exception as exc:  # every waiting request fails with it (a 503 if transient)
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


_read_batchers: weakref.WeakKeyDictionary[Database, _ReadBatcher] = weakref.WeakKeyDictionary()


def _bounded(value: str) -> str:
    # PostgreSQL text refuses NUL; a caller's request must never turn into a 500 here.
    return value.replace("\x00", "\ufffd")[:_MAX_VALUE_CHARS]


def audit_read(
    resource_type: str,
    guard: Callable[..., Awaitable[Principal]],
    *,
    id_param: str | None = "uscc",
) -> DependsParam:
    """A route dependency recording that the authorised caller read ``resource_type``.

    ``guard`` is the route's own ``require(...)``: it runs first (FastAPI runs it once per request),
    so refused callers are not recorded; authorised attempts are, whether or not the resource
    exists in the caller's scope. The resource id is the path parameter ``id_param``; the query is
    kept as the detail (an export's filters say what was exported).
    """

    async def dependency(request: Request, _principal: Principal = Depends(guard)) -> None:
        raw_id = request.path_params.get(id_param) if id_param else None
        query: dict[str, str] = {
            _bounded(k): _bounded(v) for k, v in list(request.query_params.items())[:20]
        }
        await record_read(
            request.app.state.database,
            AuditItem(
                action="read",
                resource_type=resource_type,
                resource_id=_bounded(str(raw_id)) if raw_id is not None else None,
                detail={"method": request.method, "query": query},
            ),
        )

    marker: DependsParam = Depends(dependency)
    return marker
