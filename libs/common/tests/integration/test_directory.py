"""The enterprise directory follows the register: registrations and updates (renames, region moves,
deregistration), newest version wins whatever the order, one event or a batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from sme_common.db import Database, UnitOfWork
from sme_common.directory.consumers import (
    REGISTERED_V1,
    UPDATED_V1,
    apply_enterprise_events,
    directory_consumer,
)
from sme_common.directory.models import enterprise_directory
from sme_common.events.consumer import ConsumerRunner, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import EventSchemaError, validate_event_data
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory

USCC = make_uscc(region="620102", body="MD000001")
REGISTERED_AT = "2026-11-20T08:00:00+00:00"


def registered(uscc: str = USCC, **data: Any) -> CloudEvent:
    return CloudEvent(
        type=REGISTERED_V1,
        source="/sme/registry",
        subject=uscc,
        data={
            "uscc": uscc,
            "name": "兰州示例机械有限公司",
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "industry_code": "C3411",
            "founded_on": "2015-06-01",
            "operating_status": "operating",
            "registered_at": REGISTERED_AT,
            "version": 1,
            **data,
        },
    )


def updated(version: int, uscc: str = USCC, **data: Any) -> CloudEvent:
    return CloudEvent(
        type=UPDATED_V1,
        source="/sme/registry",
        subject=uscc,
        data={
            "uscc": uscc,
            "version": version,
            "changed_fields": sorted(data),
            "name": "兰州示例机械有限公司",
            "legal_representative": None,
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "industry_code": "C3411",
            "founded_on": "2015-06-01",
            "operating_status": "operating",
            "former_names": [],
            "updated_at": f"2026-11-2{version}T09:00:00+00:00",
            **data,
        },
    )


@pytest.fixture
async def database(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database.from_url(database_factory.create("directory", "sme_certification"))
    yield db
    await db.dispose()


@pytest.fixture
def runner(database: Database) -> ConsumerRunner:
    return ConsumerRunner(
        spec=directory_consumer("certification"),
        database=database,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )


async def deliver(runner: ConsumerRunner, *events: CloudEvent) -> list[Outcome]:
    return [await runner.apply(e, runner.spec.handlers[e.type]) for e in events]


async def entry(database: Database, uscc: str = USCC) -> dict[str, Any]:
    async with database.sessionmaker() as session:
        row = (
            await session.execute(
                select(enterprise_directory).where(enterprise_directory.c.uscc == uscc)
            )
        ).one()
    return dict(row._mapping)


async def test_a_rename_and_a_region_move_reach_the_directory(
    runner: ConsumerRunner, database: Database
) -> None:
    outcomes = await deliver(
        runner,
        registered(),
        updated(2, name="天水示例机械有限公司", region_code="620502", reporting_unit_code="620500"),
    )
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    row = await entry(database)
    assert (row["name"], row["region_code"], row["reporting_unit_code"]) == (
        "天水示例机械有限公司",
        "620502",
        "620500",
    )
    assert row["registry_version"] == 2
    assert row["registered_at"] == datetime.fromisoformat(REGISTERED_AT)


async def test_a_deregistration_is_kept_as_the_operating_status(
    runner: ConsumerRunner, database: Database
) -> None:
    await deliver(runner, registered(), updated(2, operating_status="deregistered"))
    assert (await entry(database))["operating_status"] == "deregistered"


async def test_an_older_version_never_overwrites_a_newer_one(
    runner: ConsumerRunner, database: Database
) -> None:
    await deliver(runner, registered(), updated(3, name="第三版"), updated(2, name="第二版"))
    row = await entry(database)
    assert (row["name"], row["registry_version"]) == ("第三版", 3)


async def test_an_update_before_its_registration_creates_the_entry_and_keeps_it(
    runner: ConsumerRunner, database: Database
) -> None:
    await deliver(runner, updated(2, name="先到的更名"))
    row = await entry(database)
    assert (row["name"], row["registry_version"]) == ("先到的更名", 2)
    # The registration comes later (e.g. replayed from the dead-letter topic): it is older, so
    # the entry stays, but it supplies the real registration time the update could not carry.
    await deliver(runner, registered())
    row = await entry(database)
    assert (row["name"], row["registry_version"]) == ("先到的更名", 2)
    assert row["registered_at"] == datetime.fromisoformat(REGISTERED_AT)


async def test_one_batch_holding_several_versions_of_one_enterprise_keeps_the_newest(
    database: Database,
) -> None:
    other = make_uscc(region="620502", body="MD000002")
    async with UnitOfWork(database) as uow:
        await apply_enterprise_events(uow, [registered(other)])
        await uow.commit()
    batch = [
        registered(),
        updated(3, name="第三版", region_code="620502", reporting_unit_code="620500"),
        updated(2, name="第二版"),
        updated(2, uscc=other, name="另一家第二版"),
        registered(other),  # a redelivered old version in the same batch as a newer one
    ]
    async with UnitOfWork(database) as uow:
        await apply_enterprise_events(uow, batch)
        await uow.commit()
    row = await entry(database)
    assert (row["name"], row["region_code"], row["registry_version"]) == ("第三版", "620502", 3)
    assert row["registered_at"] == datetime.fromisoformat(REGISTERED_AT)
    assert (await entry(database, other))["name"] == "另一家第二版"
    async with database.sessionmaker() as session:
        changes = await session.scalar(text("SELECT count(*) FROM enterprise_directory_change"))
    assert changes == 6, "every applied event is in the change trail"


async def test_data_its_contract_refuses_is_a_poison_message_even_where_the_schema_is_silent(
    runner: ConsumerRunner, database: Database
) -> None:
    """JSON Schema only annotates formats; the contract reads dates and times, so a date that is
    no date is refused (schema_invalid: dead-lettered, never retried) and writes nothing."""
    broken = registered(founded_on="2015-13-45")
    validate_event_data(broken.type, broken.data)  # the schema lets it through
    with pytest.raises(EventSchemaError, match="founded_on"):
        await deliver(runner, broken)
    with pytest.raises(EventSchemaError, match="registered_at"):
        await deliver(runner, registered(registered_at="2026-11-20T08:00:00"))  # no offset
    async with database.sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM enterprise_directory")) == 0
