"""Keeping the directory from ``registry.enterprise.*`` events.

``registered.v1`` and ``updated.v1`` both carry the whole register entry and the enterprise's
version after the change, so both are applied the same way: an upsert that keeps the newest version
(an older or replayed event never overwrites a newer one). An update that arrives before its
registration (the registration was dead-lettered, or is no longer on the topic when a directory is
rebuilt) is therefore not lost: it creates the entry. Its ``registered_at`` is not in the update;
``updated_at`` stands in for it, as an upper bound, and the registration replaces it whenever it is
applied, whatever the versions (a registration is never later than any update of the enterprise, so
the earliest value seen is the right one).

What registry announces beside the entry is kept too, keyed by USCC (whether or not the entry is
there yet): every ``size-class-changed.v1`` decision as a history row (its event id is unique; the
class in force on a day is read back by ``repository.size_class_on``); each credit flag's period and
the ``active_flags`` registry stated, from ``flags-changed.v1``; the people serving the enterprise,
from ``service-people-changed.v1`` (the whole list). Flags and people are states, replaced by a
newer event only: the event's ``time`` orders flag changes (registry makes them under the
enterprise's row lock), ``changed_at`` orders people changes, so a late replay (from the
dead-letter topic) never brings an older state back.

All are read with their contracts (``sme_common.contracts.events.registry.models``); data a contract
refuses is a poison message (dead-lettered as ``schema_invalid``), as the runner's schema check
already makes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    Text,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.types import TypeEngine

from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    EnterpriseUpdatedV1,
    FlagsChangedV1,
    ServicePeopleChangedV1,
    SizeClassChangedV1,
)
from sme_common.db.uow import UnitOfWork
from sme_common.directory.models import (
    enterprise_directory,
    enterprise_directory_change,
    enterprise_directory_flag,
    enterprise_directory_flags,
    enterprise_directory_people,
    enterprise_directory_size_class,
)
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent

ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = EnterpriseRegisteredV1.event_type
UPDATED_V1 = EnterpriseUpdatedV1.event_type
SIZE_CLASS_CHANGED_V1 = SizeClassChangedV1.event_type
FLAGS_CHANGED_V1 = FlagsChangedV1.event_type
SERVICE_PEOPLE_CHANGED_V1 = ServicePeopleChangedV1.event_type
# The types that carry the register entry and its version (what convergence.py compares).
ENTRY_TYPES = (REGISTERED_V1, UPDATED_V1)
DEFAULT_OPERATING_STATUS = "operating"  # what a registration that names no status means
REBUILD_COMMAND = "rebuild-directory"

# Taken from the newest version; ``registered_at`` follows its own rule (the earliest seen).
_STATE_COLUMNS = (
    "name",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
    "registry_version",
)
_ENTRY_TYPES: dict[str, TypeEngine[Any]] = {
    "uscc": Text(),
    "name": Text(),
    "region_code": Text(),
    "reporting_unit_code": Text(),
    "industry_code": Text(),
    "founded_on": Date(),
    "operating_status": Text(),
    "registry_version": Integer(),
    "registered_at": DateTime(timezone=True),
}


def _unnest(name: str, type_: TypeEngine[Any]) -> Any:
    if isinstance(type_, JSONB):
        # Sent as JSON text: an array of lists (or of JSON) does not bind as one parameter.
        return cast(func.unnest(cast(bindparam(name, type_=ARRAY(Text())), ARRAY(Text()))), JSONB)
    return func.unnest(cast(bindparam(name, type_=ARRAY(type_)), ARRAY(type_)))


def _from_arrays(types: dict[str, TypeEngine[Any]]) -> Any:
    """``SELECT unnest(:a), unnest(:b), …``: one row per array position, whatever the batch size,
    so the statement is compiled once (a VALUES list would be a new statement per size)."""
    return select(*(_unnest(name, type_) for name, type_ in types.items()))


def _directory_upsert() -> Any:
    table = enterprise_directory
    statement = pg_insert(table).from_select(list(_ENTRY_TYPES), _from_arrays(_ENTRY_TYPES))
    incoming = statement.excluded
    newer = table.c.registry_version < incoming.registry_version
    return statement.on_conflict_do_update(
        index_elements=[table.c.uscc],
        set_={
            **{name: case((newer, incoming[name]), else_=table.c[name]) for name in _STATE_COLUMNS},
            "registered_at": func.least(table.c.registered_at, incoming.registered_at),
        },
        where=or_(newer, incoming.registered_at < table.c.registered_at),
    )


_CHANGE_TYPES: dict[str, TypeEngine[Any]] = {
    "uscc": Text(),
    "event_id": Text(),
    "event_type": Text(),
    "registry_version": Integer(),
}
_DIRECTORY_UPSERT = _directory_upsert()
_CHANGE_INSERT = pg_insert(enterprise_directory_change).from_select(
    list(_CHANGE_TYPES), _from_arrays(_CHANGE_TYPES)
)


def _entry(event: CloudEvent) -> dict[str, Any]:
    """The directory row an event carries; ``registered_at`` is the update's time for an update
    (an upper bound, replaced by the registration's whenever that arrives)."""
    if event.type == REGISTERED_V1:
        registered = EnterpriseRegisteredV1.parse(event.data)
        status = registered.operating_status
        return {
            "uscc": registered.uscc,
            "name": registered.name,
            "region_code": registered.region_code,
            "reporting_unit_code": registered.reporting_unit_code,
            "industry_code": registered.industry_code,
            "founded_on": registered.founded_on,
            "operating_status": status if isinstance(status, str) else DEFAULT_OPERATING_STATUS,
            "registry_version": registered.version,
            "registered_at": registered.registered_at,
        }
    updated = EnterpriseUpdatedV1.parse(event.data)
    return {
        "uscc": updated.uscc,
        "name": updated.name,
        "region_code": updated.region_code,
        "reporting_unit_code": updated.reporting_unit_code,
        "industry_code": updated.industry_code,
        "founded_on": updated.founded_on,
        "operating_status": updated.operating_status,
        "registry_version": updated.version,
        "registered_at": updated.updated_at,
    }


def _columns(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    return {name: [row[name] for row in rows] for name in names}


async def apply_enterprise_events(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    """Apply registered/updated events (any mix, any order) with one upsert and one insert.

    One statement may not touch a row twice, so several versions of one enterprise in the batch are
    first folded into one row: the newest version's entry, with the earliest ``registered_at``.
    """
    entries = [_entry(event) for event in events]
    newest: dict[str, dict[str, Any]] = {}
    for entry in entries:
        seen = newest.get(entry["uscc"])
        if seen is None:
            newest[entry["uscc"]] = entry
            continue
        earliest = min(seen["registered_at"], entry["registered_at"])
        if entry["registry_version"] > seen["registry_version"]:
            newest[entry["uscc"]] = seen = entry
        seen["registered_at"] = earliest
    await uow.session.execute(
        _DIRECTORY_UPSERT, _columns(list(newest.values()), list(_ENTRY_TYPES))
    )
    changes = [
        {
            "uscc": entry["uscc"],
            "event_id": event.id,
            "event_type": event.type,
            "registry_version": entry["registry_version"],
        }
        for event, entry in zip(events, entries, strict=True)
    ]
    await uow.session.execute(_CHANGE_INSERT, _columns(changes, list(_CHANGE_TYPES)))


async def record_registered_enterprise(uow: UnitOfWork, event: CloudEvent) -> None:
    """Upsert, keeping the newest registry version: a replayed older event never overwrites."""
    await apply_enterprise_events(uow, [event])


async def record_updated_enterprise(uow: UnitOfWork, event: CloudEvent) -> None:
    """A rename, region move, status change (e.g. 注销 deregistration) …: the same guarded upsert."""
    await apply_enterprise_events(uow, [event])


_SIZE_CLASS_TYPES: dict[str, TypeEngine[Any]] = {
    "event_id": Text(),
    "uscc": Text(),
    "size_class": Text(),
    "previous_size_class": Text(),
    "basis_year": Integer(),
    "rule_version": Text(),
    "decided_at": DateTime(timezone=True),
}
# A decision is a fact of history: kept once (its event id), whatever arrives after it.
_SIZE_CLASS_INSERT = (
    pg_insert(enterprise_directory_size_class)
    .from_select(list(_SIZE_CLASS_TYPES), _from_arrays(_SIZE_CLASS_TYPES))
    .on_conflict_do_nothing(index_elements=["event_id"])
)


def _state_upsert(table: Any, types: dict[str, TypeEngine[Any]], key: Sequence[str]) -> Any:
    """Insert, or replace the row of ``key`` with a state at least as recent (``changed_at``): of
    two events of the same instant the later applied wins, as partition order has it."""
    statement = pg_insert(table).from_select(list(types), _from_arrays(types))
    incoming = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c[name] for name in key],
        set_={name: incoming[name] for name in types if name not in key},
        where=table.c.changed_at <= incoming.changed_at,
    )


_FLAG_TYPES: dict[str, TypeEngine[Any]] = {
    "uscc": Text(),
    "flag_id": Text(),
    "kind": Text(),
    "change": Text(),
    "started_on": Date(),
    "ended_on": Date(),
    "changed_at": DateTime(timezone=True),
    "event_id": Text(),
}
_FLAGS_TYPES: dict[str, TypeEngine[Any]] = {
    "uscc": Text(),
    "active_flags": JSONB(),
    "changed_at": DateTime(timezone=True),
    "event_id": Text(),
}
_PEOPLE_TYPES: dict[str, TypeEngine[Any]] = {
    "uscc": Text(),
    "people": JSONB(),
    "changed_at": DateTime(timezone=True),
    "event_id": Text(),
}
_FLAG_UPSERT = _state_upsert(enterprise_directory_flag, _FLAG_TYPES, ("uscc", "flag_id"))
_FLAGS_UPSERT = _state_upsert(enterprise_directory_flags, _FLAGS_TYPES, ("uscc",))
_PEOPLE_UPSERT = _state_upsert(enterprise_directory_people, _PEOPLE_TYPES, ("uscc",))


def _newest(
    rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]
) -> list[dict[str, Any]]:
    """One row per key (one statement may not touch a row twice): the latest ``changed_at``, the
    later in the batch of equals, as the upsert applied row by row would leave it."""
    newest: dict[Hashable, dict[str, Any]] = {}
    for row in rows:
        seen = newest.get(key(row))
        if seen is None or seen["changed_at"] <= row["changed_at"]:
            newest[key(row)] = row
    return list(newest.values())


async def _execute(
    uow: UnitOfWork,
    statement: Any,
    types: dict[str, TypeEngine[Any]],
    rows: Sequence[dict[str, Any]],
) -> None:
    if rows:
        await uow.session.execute(statement, _columns(rows, list(types)))


async def apply_size_class_events(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    rows = []
    for event in events:
        decision = SizeClassChangedV1.parse(event.data)
        rows.append(
            {
                "event_id": event.id,
                "uscc": decision.uscc,
                "size_class": decision.size_class,
                "previous_size_class": decision.previous_size_class,
                "basis_year": decision.basis_year,
                "rule_version": decision.rule_version,
                "decided_at": decision.decided_at,
            }
        )
    await _execute(uow, _SIZE_CLASS_INSERT, _SIZE_CLASS_TYPES, rows)


async def apply_flags_events(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    flags, states = [], []
    for event in events:
        changed = FlagsChangedV1.parse(event.data)
        at: datetime = event.time
        flags.append(
            {
                "uscc": changed.uscc,
                "flag_id": changed.flag_id,
                "kind": changed.kind,
                "change": changed.change,
                "started_on": changed.started_on,
                "ended_on": changed.ended_on,
                "changed_at": at,
                "event_id": event.id,
            }
        )
        states.append(
            {
                "uscc": changed.uscc,
                "active_flags": json.dumps(sorted(set(changed.active_flags))),
                "changed_at": at,
                "event_id": event.id,
            }
        )
    await _execute(
        uow, _FLAG_UPSERT, _FLAG_TYPES, _newest(flags, lambda r: (r["uscc"], r["flag_id"]))
    )
    await _execute(uow, _FLAGS_UPSERT, _FLAGS_TYPES, _newest(states, lambda r: r["uscc"]))


async def apply_people_events(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    rows = []
    for event in events:
        changed = ServicePeopleChangedV1.parse(event.data)
        rows.append(
            {
                "uscc": changed.uscc,
                "people": json.dumps(
                    [person.model_dump(mode="json") for person in changed.people],
                    ensure_ascii=False,
                ),
                "changed_at": changed.changed_at,
                "event_id": event.id,
            }
        )
    await _execute(uow, _PEOPLE_UPSERT, _PEOPLE_TYPES, _newest(rows, lambda r: r["uscc"]))


_APPLIERS = {
    REGISTERED_V1: apply_enterprise_events,
    UPDATED_V1: apply_enterprise_events,
    SIZE_CLASS_CHANGED_V1: apply_size_class_events,
    FLAGS_CHANGED_V1: apply_flags_events,
    SERVICE_PEOPLE_CHANGED_V1: apply_people_events,
}


async def apply_directory_events(uow: UnitOfWork, events: Sequence[CloudEvent]) -> None:
    """A batch of any of the directory's types: each kind with its own statements. They touch
    different tables, and each keeps its own order rule, so applying them kind by kind leaves
    what applying them one by one in partition order would."""
    by_applier: dict[Any, list[CloudEvent]] = {}
    for event in events:
        by_applier.setdefault(_APPLIERS[event.type], []).append(event)
    for applier, batch in by_applier.items():
        await applier(uow, batch)


async def _one(uow: UnitOfWork, event: CloudEvent) -> None:
    await apply_directory_events(uow, [event])


def directory_consumer(service: str) -> ConsumerSpec:
    """The consumer every service runs to keep its directory (group ``<service>.enterprise-directory``)."""
    return ConsumerSpec(
        name=f"{service}.enterprise-directory",
        topics=[ENTERPRISE_TOPIC],
        handlers={
            REGISTERED_V1: record_registered_enterprise,
            UPDATED_V1: record_updated_enterprise,
            SIZE_CLASS_CHANGED_V1: _one,
            FLAGS_CHANGED_V1: _one,
            SERVICE_PEOPLE_CHANGED_V1: _one,
        },
        batch_handler=apply_directory_events,
        rebuild_command=REBUILD_COMMAND,
    )
