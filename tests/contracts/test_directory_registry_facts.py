"""Every service that keeps a directory keeps what registry announces beside the entry (its own migration made the
tables; its own consumer applies the events): the size class in force on a day, credit flags and
the people serving an enterprise, even before the enterprise's registration reaches it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from sme_common.auth.principal import RegionLevel, RegionScope
from sme_common.db import Database
from sme_common.directory import repository
from sme_common.events.consumer import ConsumerRunner, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory
from sme_embedded.platform import SERVICES, ServiceModule

KEEPERS = [m for m in SERVICES if m.definition.name != "registry"]
"""Registry is the register itself; every other service keeps a directory of it."""

USCC = make_uscc(region="620102", body="MX100004")


def registry_event(kind: str, data: dict[str, object], at: datetime) -> CloudEvent:
    return CloudEvent(
        type=f"registry.enterprise.{kind}.v1",
        source="/sme/registry",
        subject=USCC,
        data={"uscc": USCC, **data},
        time=at,
    )


@pytest.mark.parametrize("module", KEEPERS, ids=lambda m: m.definition.name)
def test_size_class_flags_and_people_reach_the_directory_before_the_registration(
    module: ServiceModule, database_factory: DatabaseFactory
) -> None:
    url = database_factory.create(module.definition.name, module.definition.package)
    asyncio.run(_apply_and_read(module, Database.from_url(url)))


async def _apply_and_read(module: ServiceModule, database: Database) -> None:
    # The service's own consumer, as its app declares it.
    (spec,) = [c for c in module.definition.consumers if c.name.endswith(".enterprise-directory")]
    at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    events = [
        registry_event(
            "size-class-changed",
            {
                "size_class": "small",
                "previous_size_class": None,
                "basis_year": 2025,
                "rule_version": "gxb-2011-300",
                "decided_at": at.isoformat(),
            },
            at,
        ),
        registry_event(
            "flags-changed",
            {
                "flag_id": "flag_1",
                "kind": "abnormal_operations",
                "change": "raised",
                "started_on": "2026-03-01",
                "ended_on": None,
                "active_flags": ["abnormal_operations"],
            },
            at,
        ),
        registry_event(
            "service-people-changed",
            {
                "change": "assigned",
                "assignment_id": "assign_1",
                "people": [
                    {
                        "person_id": "person_1",
                        "name": "周专员",
                        "role": "service_commissioner",
                        "organisation": "城关区工业和信息化局",
                        "phone": "0931-8000001",
                        "assigned_on": "2026-03-01",
                    }
                ],
                "changed_at": at.isoformat(),
            },
            at,
        ),
    ]
    runner = ConsumerRunner(
        spec=spec, database=database, kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1")
    )
    assert [await runner.apply(e, spec.handlers[e.type]) for e in events] == [Outcome.APPLIED] * 3
    assert await runner.apply(events[0], spec.handlers[events[0].type]) is Outcome.DUPLICATE
    async with database.sessionmaker() as session:
        facts = await repository.enterprise_facts(
            session, [USCC], RegionScope(RegionLevel.ALL), on=date(2026, 3, 2)
        )
        before = await repository.size_class_on(session, USCC, date(2026, 2, 28))
    await database.dispose()
    known = facts[USCC]
    assert known.entry is None
    assert known.size_class_on is not None and known.size_class_on.size_class == "small"
    assert before is None
    assert known.flags is not None and known.flags.in_force == ("abnormal_operations",)
    assert known.people is not None and [p.name for p in known.people] == ["周专员"]
