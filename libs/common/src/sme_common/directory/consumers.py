"""Keeping the directory from ``registry.enterprise.*`` events.

``registered.v1`` and ``updated.v1`` both carry the whole register entry and the enterprise's
version after the change, so both are applied the same way: an upsert that keeps the newest version
(an older or replayed event never overwrites a newer one). An update that arrives before its
registration (the registration was dead-lettered, or is no longer on the topic when a directory is
rebuilt) is therefore not lost: it creates the entry. Its ``registered_at`` is not in the update;
``updated_at`` stands in for it, as an upper bound, and the registration replaces it whenever it is
applied, whatever the versions (a registration is never later than any update of the enterprise, so
the earliest value seen is the right one).

Both are read with their contracts (``sme_common.contracts.events.registry.models``); data a contract
refuses is a poison message (dead-lettered as ``schema_invalid``), as the runner's schema check
already makes it.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.types import TypeEngine

from sme_common.contracts.events.registry.models import EnterpriseRegisteredV1, EnterpriseUpdatedV1
from sme_common.db.uow import UnitOfWork
from sme_common.directory.models import enterprise_directory, enterprise_directory_change
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent

ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = EnterpriseRegisteredV1.event_type
UPDATED_V1 = EnterpriseUpdatedV1.event_type
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


def _from_arrays(types: dict[str, TypeEngine[Any]]) -> Any:
    """``SELECT unnest(:a), unnest(:b), …``: one row per array position, whatever the batch size,
    so the statement is compiled once (a VALUES list would be a new statement per size)."""
    return select(
        *(
            func.unnest(cast(bindparam(name, type_=ARRAY(type_)), ARRAY(type_)))
            for name, type_ in types.items()
        )
    )


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


def directory_consumer(service: str) -> ConsumerSpec:
    """The consumer every service runs to keep its directory (group ``<service>.enterprise-directory``)."""
    return ConsumerSpec(
        name=f"{service}.enterprise-directory",
        topics=[ENTERPRISE_TOPIC],
        handlers={
            REGISTERED_V1: record_registered_enterprise,
            UPDATED_V1: record_updated_enterprise,
        },
        batch_handler=apply_enterprise_events,
        rebuild_command=REBUILD_COMMAND,
    )
