"""What the directory keeps beside the entry: the size-class history (read as of a day, never
guessed), credit flags and the people serving an enterprise; kept whatever the order of arrival,
before the registration too, once per event, one event or a batch."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from sme_common import clock
from sme_common.auth.principal import RegionLevel, RegionScope
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository
from sme_common.directory.consumers import (
    FLAGS_CHANGED_V1,
    REGISTERED_V1,
    SERVICE_PEOPLE_CHANGED_V1,
    SIZE_CLASS_CHANGED_V1,
    apply_directory_events,
    directory_consumer,
)
from sme_common.directory.convergence import directory_event_types
from sme_common.events.consumer import ConsumerRunner, Outcome
from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import EventSchemaError
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import DatabaseFactory

USCC = make_uscc(region="620102", body="MD100001")
OTHER = make_uscc(region="620502", body="MD100002")
EVERYWHERE = RegionScope(RegionLevel.ALL)


def event(
    event_type: str, uscc: str, data: dict[str, Any], at: datetime | None = None
) -> CloudEvent:
    return CloudEvent(
        type=event_type,
        source="/sme/registry",
        subject=uscc,
        data={"uscc": uscc, **data},
        **({"time": at} if at is not None else {}),
    )


def registered(uscc: str = USCC, region: str = "620102", unit: str = "620100") -> CloudEvent:
    return event(
        REGISTERED_V1,
        uscc,
        {
            "name": "兰州示例机械有限公司",
            "region_code": region,
            "reporting_unit_code": unit,
            "industry_code": "C3411",
            "founded_on": "2015-06-01",
            "operating_status": "operating",
            "registered_at": "2023-01-05T08:00:00+00:00",
            "version": 1,
        },
    )


def decided(
    size_class: str | None, at: str, previous: str | None = None, uscc: str = USCC, year: int = 2023
) -> CloudEvent:
    return event(
        SIZE_CLASS_CHANGED_V1,
        uscc,
        {
            "size_class": size_class,
            "previous_size_class": previous,
            "basis_year": year,
            "rule_version": "gxb-2011-300",
            "decided_at": at,
        },
    )


def flags(
    flag_id: str,
    kind: str,
    change: str,
    active: list[str],
    at: datetime,
    *,
    started_on: str = "2026-01-01",
    ended_on: str | None = None,
    uscc: str = USCC,
) -> CloudEvent:
    return event(
        FLAGS_CHANGED_V1,
        uscc,
        {
            "flag_id": flag_id,
            "kind": kind,
            "change": change,
            "started_on": started_on,
            "ended_on": ended_on,
            "source": "甘肃省市场监督管理局",
            "active_flags": active,
        },
        at=at,
    )


def person(person_id: str, name: str, role: str = "service_commissioner") -> dict[str, Any]:
    return {
        "person_id": person_id,
        "name": name,
        "role": role,
        "organisation": "城关区工业和信息化局",
        "phone": "0931-8000001",
        "assigned_on": "2026-02-01",
    }


def people(
    change: str, assignment: str, serving: list[dict[str, Any]], at: str, uscc: str = USCC
) -> CloudEvent:
    return event(
        SERVICE_PEOPLE_CHANGED_V1,
        uscc,
        {"change": change, "assignment_id": assignment, "people": serving, "changed_at": at},
    )


@pytest.fixture
async def database(database_factory: DatabaseFactory) -> AsyncIterator[Database]:
    db = Database.from_url(database_factory.create("directory_facts", "sme_complaints"))
    yield db
    await db.dispose()


@pytest.fixture
def runner(database: Database) -> ConsumerRunner:
    return ConsumerRunner(
        spec=directory_consumer("complaints"),
        database=database,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )


async def deliver(runner: ConsumerRunner, *events: CloudEvent) -> list[Outcome]:
    return [await runner.apply(e, runner.spec.handlers[e.type]) for e in events]


async def facts(
    database: Database, uscc: str = USCC, on: date | None = None
) -> repository.EnterpriseFacts:
    async with database.sessionmaker() as session:
        return (await repository.enterprise_facts(session, [uscc], EVERYWHERE, on=on))[uscc]


async def class_on(database: Database, on: date, uscc: str = USCC) -> str | None:
    async with database.sessionmaker() as session:
        decision = await repository.size_class_on(session, uscc, on)
    return decision.size_class if decision is not None else "no decision known"


async def test_the_class_in_force_on_a_day_is_the_latest_decided_by_its_end_in_beijing_time(
    runner: ConsumerRunner, database: Database
) -> None:
    # 2024-03-01T15:59Z is 23:59 in Beijing: still 1 March. 16:30Z is already 2 March.
    await deliver(
        runner,
        decided("small", "2024-03-01T15:59:00+00:00", year=2023),
        decided("large", "2025-04-10T16:30:00+00:00", previous="small", year=2024),
    )
    assert await class_on(database, date(2024, 2, 29)) == "no decision known"
    assert await class_on(database, date(2024, 3, 1)) == "small"
    assert await class_on(database, date(2025, 4, 10)) == "small"
    assert await class_on(database, date(2025, 4, 11)) == "large"
    async with database.sessionmaker() as session:
        latest = await repository.latest_size_class(session, USCC)
        history = await repository.size_class_history(session, USCC)
    assert latest is not None
    assert (latest.size_class, latest.previous_size_class, latest.basis_year) == (
        "large",
        "small",
        2024,
    )
    assert latest.is_sme is False
    assert [d.size_class for d in history] == ["small", "large"]


async def test_a_decision_registry_could_not_make_is_known_but_answers_no_class(
    runner: ConsumerRunner, database: Database
) -> None:
    await deliver(
        runner,
        decided("micro", "2024-03-01T02:00:00+00:00"),
        decided(None, "2025-03-01T02:00:00+00:00", previous="micro"),
    )
    async with database.sessionmaker() as session:
        undecided = await repository.size_class_on(session, USCC, date(2025, 6, 1))
    assert undecided is not None and undecided.size_class is None and undecided.is_sme is None
    assert await class_on(database, date(2024, 6, 1)) == "micro"


async def test_decisions_arriving_out_of_order_and_before_the_registration_are_all_kept(
    runner: ConsumerRunner, database: Database
) -> None:
    later = decided("medium", "2025-05-01T02:00:00+00:00", previous="small")
    outcomes = await deliver(
        runner,
        later,
        decided("small", "2024-05-01T02:00:00+00:00"),
        later,  # redelivered: the inbox stops it
    )
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE]
    before = await facts(database, on=date(2024, 12, 31))
    assert before.entry is None
    assert before.size_class_on is not None and before.size_class_on.size_class == "small"
    assert before.latest_size_class is not None
    assert before.latest_size_class.size_class == "medium"
    await deliver(runner, registered())
    after = await facts(database, on=date(2025, 5, 1))
    assert after.entry is not None and after.entry.region_code == "620102"
    assert after.size_class_on is not None and after.size_class_on.size_class == "medium"
    async with database.sessionmaker() as session:
        rows = await session.scalar(text("SELECT count(*) FROM enterprise_directory_size_class"))
        trail = await session.scalar(text("SELECT count(*) FROM enterprise_directory_change"))
    assert rows == 2
    assert trail == 1, "the entry's trail holds the entry's events only"


async def test_flags_follow_the_newest_change_and_a_late_replay_never_brings_one_back(
    runner: ConsumerRunner, database: Database
) -> None:
    t0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    raised = flags("f1", "abnormal_operations", "raised", ["abnormal_operations"], t0)
    lifted = flags(
        "f1", "abnormal_operations", "lifted", [], t0 + timedelta(days=30), ended_on="2026-03-31"
    )
    other = flags(
        "f2",
        "dishonest_executee",
        "raised",
        ["dishonest_executee"],
        t0 + timedelta(days=31),
        started_on="2026-04-01",
    )
    await deliver(runner, raised, lifted, other)
    # The raise comes again from the dead-letter topic, as another delivery: older, so ignored.
    replay = flags("f1", "abnormal_operations", "raised", ["abnormal_operations"], t0)
    await deliver(runner, replay)
    known = await facts(database, on=date(2026, 4, 2))
    assert known.flags is not None
    assert known.flags.stated == ("dishonest_executee",)
    assert known.flags.stated_at == t0 + timedelta(days=31)
    assert known.flags.in_force == ("dishonest_executee",)
    on_march = await facts(database, on=date(2026, 3, 15))
    assert on_march.flags is not None and on_march.flags.in_force == ("abnormal_operations",)


async def test_a_flag_whose_end_has_come_is_no_longer_in_force_though_no_event_said_so(
    runner: ConsumerRunner, database: Database
) -> None:
    at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    await deliver(
        runner,
        flags(
            "ban",
            "data_falsification",
            "raised",
            ["data_falsification"],
            at,
            started_on="2026-03-01",
            ended_on="2029-03-01",
        ),
    )
    during = await facts(database, on=date(2029, 2, 28))
    after = await facts(database, on=date(2029, 3, 1))
    assert during.flags is not None and during.flags.in_force == ("data_falsification",)
    assert after.flags is not None and after.flags.in_force == ()
    assert after.flags.stated == ("data_falsification",), "what registry said, as it said it"
    never_flagged = await facts(database, uscc=OTHER)
    assert never_flagged.flags is None


async def test_the_people_serving_are_the_newest_list_whatever_the_order(
    runner: ConsumerRunner, database: Database
) -> None:
    zhou, wu = person("p1", "周专员"), person("p2", "吴顾问", "financial_adviser")
    first = people("assigned", "a1", [zhou], "2026-02-01T02:00:00+00:00")
    second = people("assigned", "a2", [wu, zhou], "2026-03-01T02:00:00+00:00")
    ended = people("ended", "a1", [wu], "2026-06-01T02:00:00+00:00")
    await deliver(runner, second, ended, first)  # the first arrives last (a replay)
    known = await facts(database)
    assert known.people is not None
    assert [(p.person_id, p.name, p.role, p.phone) for p in known.people] == [
        ("p2", "吴顾问", "financial_adviser", "0931-8000001")
    ]
    assert known.people[0].assigned_on == date(2026, 2, 1)
    assert known.people_changed_at == datetime(2026, 6, 1, 2, tzinfo=UTC)
    await deliver(runner, people("ended", "a2", [], "2026-07-01T02:00:00+00:00"))
    assert (await facts(database)).people == ()
    assert (await facts(database, uscc=OTHER)).people is None


async def test_a_batch_leaves_what_the_events_one_by_one_leave(
    database: Database, database_factory: DatabaseFactory
) -> None:
    t0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    batch = [
        registered(),
        decided("small", "2024-05-01T02:00:00+00:00"),
        flags("f1", "abnormal_operations", "raised", ["abnormal_operations"], t0),
        people("assigned", "a1", [person("p1", "周专员")], "2026-02-01T02:00:00+00:00"),
        flags("f1", "abnormal_operations", "lifted", [], t0 + timedelta(1), ended_on="2026-03-02"),
        people("ended", "a1", [], "2026-02-02T02:00:00+00:00"),
        decided("medium", "2025-05-01T02:00:00+00:00", previous="small"),
        # Same instant, later in the partition: the later one stands, as one by one.
        people("assigned", "a2", [person("p2", "吴顾问")], "2026-02-02T02:00:00+00:00"),
        people("assigned", "b1", [person("p3", "郑专员")], "2026-01-01T02:00:00+00:00", OTHER),
        decided("large", "2025-01-01T02:00:00+00:00", uscc=OTHER),
    ]
    one_by_one = Database.from_url(database_factory.create("directory_facts_1", "sme_complaints"))
    try:
        async with UnitOfWork(database) as uow:
            await apply_directory_events(uow, batch)
            await uow.commit()
        for item in batch:
            async with UnitOfWork(one_by_one) as uow:
                await apply_directory_events(uow, [item])
                await uow.commit()
        for uscc in (USCC, OTHER):
            batched, single = (
                await facts(database, uscc, date(2026, 3, 1)),
                await facts(one_by_one, uscc, date(2026, 3, 1)),
            )
            assert batched == single
        known = await facts(database, USCC, date(2026, 3, 1))
        assert known.people is not None and [p.name for p in known.people] == ["吴顾问"]
        # Lifted from 2 March: registry's list (stated that day) is empty, yet on 1 March it was
        # in force.
        assert known.flags is not None
        assert (known.flags.stated, known.flags.in_force) == ((), ("abnormal_operations",))
        assert known.size_class_on is not None and known.size_class_on.size_class == "medium"
    finally:
        await one_by_one.dispose()


async def test_facts_are_read_for_many_enterprises_in_the_callers_scope(
    runner: ConsumerRunner, database: Database
) -> None:
    await deliver(
        runner,
        registered(),
        registered(OTHER, region="620502", unit="620500"),
        decided("small", "2024-05-01T02:00:00+00:00"),
        decided("large", "2024-05-01T02:00:00+00:00", uscc=OTHER),
    )
    unknown = make_uscc(region="620102", body="MD100009")
    async with database.sessionmaker() as session:
        everywhere = await repository.enterprise_facts(
            session, [USCC, OTHER, unknown, USCC], EVERYWHERE
        )
        lanzhou = await repository.enterprise_facts(
            session, [USCC, OTHER, unknown], RegionScope(RegionLevel.REPORTING_UNIT, "620100")
        )
        none = await repository.enterprise_facts(session, [], EVERYWHERE)
    assert set(everywhere) == {USCC, OTHER, unknown}
    assert everywhere[unknown].entry is None and everywhere[unknown].latest_size_class is None
    assert everywhere[USCC].size_class_on is None, "no day asked"
    latest = everywhere[OTHER].latest_size_class
    assert latest is not None and latest.size_class == "large"
    assert set(lanzhou) == {USCC}, "outside the scope, or not in the directory: left out"
    assert none == {}


async def test_the_convergence_digest_still_follows_the_entrys_events_only() -> None:
    assert directory_event_types() == sorted(
        ["registry.enterprise.registered.v1", "registry.enterprise.updated.v1"]
    )


async def test_people_data_its_contract_refuses_is_a_poison_message(
    runner: ConsumerRunner, database: Database
) -> None:
    bad = people(
        "assigned", "a1", [{**person("p1", "周专员"), "role": "mayor"}], clock.now().isoformat()
    )
    with pytest.raises(EventSchemaError):
        await deliver(runner, bad)
    async with database.sessionmaker() as session:
        assert await session.scalar(text("SELECT count(*) FROM enterprise_directory_people")) == 0
