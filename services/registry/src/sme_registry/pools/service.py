"""Entering and leaving pools, by officers and on certificate events; every move announced."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.problems import enterprise_in_scope
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.pools import repository
from sme_registry.pools.domain import Pool
from sme_registry.pools.events import pool_changed
from sme_registry.pools.models import PoolEntry
from sme_registry.pools.schemas import PoolEntryRead, PoolMove, PoolPath


def _announce(uow: UnitOfWork, entry: PoolEntry, change: str, on: date, reason: str | None) -> None:
    uow.publish(
        ENTERPRISE_TOPIC,
        enterprise_event(
            pool_changed(
                entry.uscc,
                entry_id=entry.id,
                pool=entry.pool,
                change=change,
                on=on,
                reason=reason,
                source=entry.source,
                source_ref=entry.source_ref,
            )
        ),
    )


async def enter_pool(
    uow: UnitOfWork,
    *,
    uscc: str,
    pool: Pool,
    on: date,
    reason: str,
    source: str,
    source_ref: str | None,
    actor: str,
    at: datetime,
) -> PoolEntry | None:
    """Enter unless already in; returns the new entry (None when nothing changed)."""
    if pool.value in await repository.open_entries(uow.session, uscc):
        return None
    entry = PoolEntry(
        id=f"pool_{secrets.token_hex(8)}",
        uscc=uscc,
        pool=pool.value,
        entered_on=on,
        reason=reason,
        source=source,
        source_ref=source_ref,
        recorded_at=at,
        recorded_by=actor,
    )
    uow.session.add(entry)
    await uow.flush()
    _announce(uow, entry, "entered", on, reason)
    return entry


async def leave_pool(
    uow: UnitOfWork,
    *,
    uscc: str,
    pool: Pool,
    on: date,
    reason: str,
    actor: str,
    at: datetime,
) -> PoolEntry | None:
    entry = (await repository.open_entries(uow.session, uscc)).get(pool.value)
    if entry is None:
        return None
    if on < entry.entered_on:
        raise InvalidInput(
            "left_before_entered",
            "cannot leave a pool before entering it",
            "出库日期不能早于入库日期",
            field="on",
        )
    entry.left_on, entry.left_reason = on, reason
    entry.recorded_at, entry.recorded_by = at, actor
    _announce(uow, entry, "left", on, reason)
    return entry


async def move(database: Database, *, uscc: str, command: PoolMove, actor: Principal) -> PoolPath:
    now = clock.now()
    clock.check_not_future(command.on, "on")
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get_for_update, uow.session, uscc, actor)
        if command.action == "enter":
            changed = await enter_pool(
                uow,
                uscc=uscc,
                pool=command.pool,
                on=command.on,
                reason=command.reason,
                source="officer",
                source_ref=command.source_ref,
                actor=actor.subject,
                at=now,
            )
            if changed is None:
                raise Conflict(
                    "already_in_pool",
                    f"{uscc} is already in the {command.pool} pool",
                    "企业已在该培育库中",
                    field="pool",
                )
        else:
            left = await leave_pool(
                uow,
                uscc=uscc,
                pool=command.pool,
                on=command.on,
                reason=command.reason,
                actor=actor.subject,
                at=now,
            )
            if left is None:
                raise Conflict(
                    "not_in_pool",
                    f"{uscc} is not in the {command.pool} pool",
                    "企业不在该培育库中",
                    field="pool",
                )
        await uow.commit()
    return await pool_path(database, uscc=uscc, actor=actor)


async def pool_path(database: Database, *, uscc: str, actor: Principal) -> PoolPath:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        return pool_path_of(await repository.path(uow.session, uscc))


def pool_path_of(entries: Sequence[PoolEntry]) -> PoolPath:
    """The pools an enterprise is in and the way it came, from its entries in order."""
    return PoolPath(
        current=[Pool(e.pool) for e in entries if e.left_on is None],
        path=[PoolEntryRead.model_validate(e) for e in entries],
    )
