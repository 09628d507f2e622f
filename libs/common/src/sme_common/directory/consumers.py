"""Keeping the directory from ``registry.enterprise.*`` events."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert

from sme_common.db.uow import UnitOfWork
from sme_common.directory.models import enterprise_directory, enterprise_directory_change
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent

ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = "registry.enterprise.registered.v1"


async def record_registered_enterprise(uow: UnitOfWork, event: CloudEvent) -> None:
    """Upsert, keeping the newest registry version: a replayed older event never overwrites."""
    data = event.data
    values = {
        "uscc": data["uscc"],
        "name": data["name"],
        "region_code": data["region_code"],
        "reporting_unit_code": data["reporting_unit_code"],
        "industry_code": data.get("industry_code"),
        "founded_on": date.fromisoformat(data["founded_on"]) if data.get("founded_on") else None,
        "operating_status": data.get("operating_status") or "operating",
        "registry_version": data["version"],
        "registered_at": datetime.fromisoformat(data["registered_at"]),
    }
    statement = pg_insert(enterprise_directory).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[enterprise_directory.c.uscc],
            set_={k: statement.excluded[k] for k in values if k != "uscc"},
            where=enterprise_directory.c.registry_version < statement.excluded.registry_version,
        )
    )
    await uow.session.execute(
        enterprise_directory_change.insert().values(
            uscc=data["uscc"],
            event_id=event.id,
            event_type=event.type,
            registry_version=data["version"],
        )
    )


def directory_consumer(service: str) -> ConsumerSpec:
    """The consumer every service runs to keep its directory (group ``<service>.enterprise-directory``)."""
    return ConsumerSpec(
        name=f"{service}.enterprise-directory",
        topics=[ENTERPRISE_TOPIC],
        handlers={REGISTERED_V1: record_registered_enterprise},
    )
