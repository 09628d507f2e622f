"""The facts read model: registry's facts-filed, flags-changed and size-class-changed events, applied
once each (the runner's inbox), the newest version kept whatever the order, and shown per
enterprise within the caller's region."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from services.certification.tests.support import (
    QINZHOU,
    TIANSHUI,
    URL,
    deliver,
    facts_event,
    flag_event,
    known_enterprise,
    size_event,
)
from sme_certification.facts.consumers import enterprise_facts_consumer
from sme_common.db import Database
from sme_common.events.consumer import Outcome, UntrustedEventError
from sme_common.events.envelope import CloudEvent
from sme_common.testing.plugin import TokenFactory


def database(client: httpx.AsyncClient) -> Database:
    db: Database = client.app.state.database  # type: ignore[attr-defined]
    return db


async def facts_of(client: httpx.AsyncClient, headers: dict[str, str], uscc: str) -> httpx.Response:
    return await client.get(f"{URL}/enterprises/{uscc}/facts", headers=headers)


async def test_filed_facts_are_kept_by_year_and_the_newest_version_wins(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database(client)
    province = bearer("province_officer", region="620000")
    uscc = await known_enterprise(db, "FA000001")
    first = facts_event(uscc, 2025, version=1, operating_revenue_fen=100)
    corrected = facts_event(uscc, 2025, version=2, operating_revenue_fen=250)
    assert await deliver(db, enterprise_facts_consumer, corrected) is Outcome.APPLIED
    # The first filing arrives late (replayed from the topic): it never overwrites the correction.
    assert await deliver(db, enterprise_facts_consumer, first) is Outcome.APPLIED
    assert await deliver(db, enterprise_facts_consumer, corrected) is Outcome.DUPLICATE
    await deliver(db, enterprise_facts_consumer, facts_event(uscc, 2024, operating_revenue_fen=90))
    read = await facts_of(client, province, uscc)
    assert read.status_code == 200, read.text
    years = read.json()["years"]
    assert [(y["year"], y["registry_version"]) for y in years] == [(2024, 1), (2025, 2)]
    assert years[1]["facts"]["operating_revenue_fen"] == 250
    assert "employees" not in years[1]["facts"]  # not filed is absent, not zero


async def test_flags_follow_their_changes_and_the_size_class_its_latest_decision(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database(client)
    province = bearer("province_officer", region="620000")
    uscc = await known_enterprise(db, "FA000002")
    raised = flag_event(uscc, "flag_a", "raised", date(2026, 1, 5))
    lifted = flag_event(uscc, "flag_a", "lifted", date(2026, 1, 5), ended_on=date(2026, 3, 1))
    for event in (raised, lifted):
        assert await deliver(db, enterprise_facts_consumer, event) is Outcome.APPLIED
    later = datetime(2026, 4, 1, tzinfo=UTC)
    await deliver(db, enterprise_facts_consumer, size_event(uscc, "medium", later))
    await deliver(
        db, enterprise_facts_consumer, size_event(uscc, "large", datetime(2026, 2, 1, tzinfo=UTC))
    )
    body = (await facts_of(client, province, uscc)).json()
    assert body["flags"] == [
        {
            "flag_id": "flag_a",
            "kind": "abnormal_operations",
            "started_on": "2026-01-05",
            "ended_on": "2026-03-01",
            "last_change": "lifted",
        }
    ]
    assert body["size_class"]["size_class"] == "medium"


async def test_only_registry_may_change_the_read_model(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "FA000003")
    forged = facts_event(uscc, 2025, operating_revenue_fen=1)
    forged = CloudEvent(type=forged.type, source="/sme/funding", subject=uscc, data=forged.data)
    with pytest.raises(UntrustedEventError) as refused:
        await deliver(db, enterprise_facts_consumer, forged)
    assert refused.value.reason == "source_not_owner"
    read = await facts_of(client, bearer("province_officer", region="620000"), uscc)
    assert read.json()["years"] == []


async def test_the_facts_are_read_within_the_region(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    db = database(client)
    uscc = await known_enterprise(db, "FA000005", region=QINZHOU, unit=TIANSHUI)
    await deliver(db, enterprise_facts_consumer, facts_event(uscc, 2025, employees=50))
    for headers, status in (
        (bearer("province_officer", region="620000"), 200),
        (bearer("city_officer", region=TIANSHUI), 200),
        (bearer("county_officer", region=QINZHOU), 200),
        (bearer("agency_system", region="620000", scopes=("certification:read",)), 200),
        (bearer("city_officer", region="620100"), 404),
        (bearer("county_officer", region="620102"), 404),
        (bearer("agency_system", region="620000"), 403),
        (bearer("expert", region="620000"), 403),
        ({}, 401),
    ):
        response = await facts_of(client, headers, uscc)
        assert response.status_code == status, (headers, response.text)
