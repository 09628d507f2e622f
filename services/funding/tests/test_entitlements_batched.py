"""The batch handler of ``funding.certificates`` (what the runner calls for a partition's batch)
leaves the state the event handlers leave applied one by one: the same certificates, triggers,
entitlements (amounts, statuses, blocking), steps and created events, for a batch that mixes
grants applied together (distinct enterprises) with events that go one by one (an enterprise
twice in the batch, a revocation), a replayed trigger, a blocked payee, a re-certification and an
enterprise funding does not know yet."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from services.funding.tests.entitlement_support import (
    WAN,
    created_events,
    credit,
    expired,
    flags,
    grant,
    granted,
    known_enterprise,
    revoked,
)
from sme_common.clock import FixedClock, use_clock
from sme_common.db import Database, UnitOfWork
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.testing.plugin import DatabaseFactory
from sme_funding.entitlements.consumers import certificates_consumer
from sme_funding.entitlements.models import (
    CertificateRecord,
    CertificateTriggerRecord,
    Entitlement,
    EntitlementStep,
)

AT = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
async def databases(database_factory: DatabaseFactory) -> AsyncIterator[list[Database]]:
    dbs = [
        Database.from_url(database_factory.create(f"funding_batch_{n}", "sme_funding"))
        for n in ("one_by_one", "batched")
    ]
    yield dbs
    for db in dbs:
        await db.dispose()


async def _before(db: Database) -> list[CloudEvent]:
    """The same history in each database, then the batch to apply."""
    plain = await known_enterprise(db, "BT000001")
    blocked = await known_enterprise(db, "BT000002")
    again = await known_enterprise(db, "BT000003")
    twice = await known_enterprise(db, "BT000004")
    other = await known_enterprise(db, "BT000005")
    unknown = make_uscc(region="620102", body="BT000006")
    await credit(
        db, flags(blocked, "flag_1", "serious_dishonesty", "raised", ["serious_dishonesty"])
    )
    # A first certificate, expired: the next one is a re-certification, not a first (0, not payable).
    await grant(db, granted(again, "cert_old", issued_on=date(2023, 6, 1)))
    await grant(db, expired(again, "cert_old", expired_on=date(2026, 6, 1)))
    # Granted before: the batch carries its grant again (a new event id, the same trigger).
    await grant(db, granted(other, "cert_replayed"))
    return [
        granted(plain, "cert_plain"),
        granted(blocked, "cert_blocked"),
        granted(again, "cert_again"),
        granted(twice, "cert_twice_1"),
        granted(unknown, "cert_unknown"),
        granted(twice, "cert_twice_2", tier="little_giant", level="national"),
        granted(other, "cert_replayed"),
        revoked(other, "cert_gone", revoked_on=date(2026, 6, 2)),
    ]


async def _state(db: Database) -> dict[str, Any]:
    async with db.sessionmaker() as session:
        entitlements = (await session.scalars(select(Entitlement))).all()
        ids = {e.id: e.trigger_key for e in entitlements}
        steps = (await session.scalars(select(EntitlementStep).order_by(EntitlementStep.id))).all()
        certificates = (await session.scalars(select(CertificateRecord))).all()
        triggers = (await session.scalars(select(CertificateTriggerRecord))).all()
    events = await created_events(db)
    return {
        "entitlements": sorted(
            (
                e.trigger_key,
                e.uscc,
                e.policy_code,
                e.amount_fen,
                e.status,
                e.blocked_reason,
                e.region_code,
                e.county_code,
                e.year,
                str(e.explanation),
            )
            for e in entitlements
        ),
        "steps": sorted((ids[s.entitlement_id], s.to_status, s.actor, s.remarks) for s in steps),
        "certificates": sorted(
            (c.certificate_id, c.uscc, c.tier, c.level, c.issued_on, c.status, c.ended_on)
            for c in certificates
        ),
        "triggers": sorted((t.certificate_id, t.kind, t.occurred_on, t.status) for t in triggers),
        "events": sorted(
            (e["uscc"], e["policy_code"], e["status"], e["amount_fen"]) for e in events
        ),
    }


async def test_the_batch_handler_leaves_the_state_of_the_handlers_one_by_one(
    databases: list[Database],
) -> None:
    one_by_one, batched = databases
    assert certificates_consumer.batch_handler is not None
    with use_clock(FixedClock(AT)):
        batch = await _before(one_by_one)
        for event in batch:
            await grant(one_by_one, event)
        batch = await _before(batched)  # the same events, with other ids
        async with UnitOfWork(batched) as uow:
            await certificates_consumer.batch_handler(uow, batch)
            await uow.commit()

    expected, got = await _state(one_by_one), await _state(batched)
    assert got == expected
    amounts = sorted((row[3], row[4]) for row in got["entitlements"])
    # What the scenario is about, so that "equal" is not "equally empty".
    assert amounts == [
        (0, "not_payable"),  # the re-certification
        (30 * WAN, "blocked"),
        (30 * WAN, "pending_approval"),  # cert_old, before the batch
        (30 * WAN, "pending_approval"),  # cert_plain
        (30 * WAN, "pending_approval"),  # cert_replayed, before the batch (once)
        (30 * WAN, "pending_approval"),  # cert_twice_1
        (50 * WAN, "pending_approval"),  # cert_twice_2, stacked on it
    ]
    assert ("cert_unknown", "certificate_granted", date(2026, 6, 1), "awaiting_enterprise") in (
        got["triggers"]
    )
