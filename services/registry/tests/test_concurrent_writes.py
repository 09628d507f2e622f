"""Writes that arrive together: one wins, the others get the conflict a caller can act on; nothing
is lost and nothing is a 500. These run on a database of their own with real commits (the usual
rolled-back test transaction cannot hold two connections)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from sme_common.db.engine import Database
from sme_common.ids import make_uscc
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory
from sme_registry.app import create_app
from sme_registry.config import Settings
from sme_registry.reference.service import load_reference_data

URL = "/api/registry/v1"
RACERS = 6


@pytest_asyncio.fixture
async def live_client(
    database_factory: DatabaseFactory, auth_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    url = database_factory.create("registry_race", "sme_registry")
    load_reference_data(url)
    settings = Settings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    database = Database.from_url(url, pool_size=RACERS)
    app = create_app(settings, database=database)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry"
        ) as client:
            yield client
    finally:
        await database.dispose()


async def test_concurrent_registrations_of_one_uscc_register_it_once(
    live_client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000")
    uscc = make_uscc(region="620102", body="MR000001")
    responses = await asyncio.gather(
        *[
            live_client.post(
                f"{URL}/enterprises",
                headers=officer,
                json={"uscc": uscc, "name": f"并发企业{n}", "region_code": "620102"},
            )
            for n in range(RACERS)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"enterprise_exists"}


async def test_concurrent_first_filings_of_one_year_lose_no_update(
    live_client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000")
    uscc = make_uscc(region="620102", body="MR000002")
    created = await live_client.post(
        f"{URL}/enterprises",
        headers=officer,
        json={"uscc": uscc, "name": "并发填报企业", "region_code": "620102"},
    )
    assert created.status_code == 201, created.text
    responses = await asyncio.gather(
        *[
            live_client.put(
                f"{URL}/enterprises/{uscc}/facts/2025",
                headers=officer,
                json={"employees": 100 + n, "source": f"filer-{n}"},
            )
            for n in range(RACERS)
        ]
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"version_required"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    stored = (await live_client.get(f"{URL}/enterprises/{uscc}/facts/2025", headers=officer)).json()
    assert (stored["employees"], stored["source"], stored["version"]) == (
        winner["employees"],
        winner["source"],
        1,
    )


async def test_concurrent_assignments_of_one_person_to_one_enterprise_assign_once(
    live_client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000")
    uscc = make_uscc(region="620102", body="MR000003")
    await live_client.post(
        f"{URL}/enterprises",
        headers=officer,
        json={"uscc": uscc, "name": "并发服务企业", "region_code": "620102"},
    )
    person = await live_client.post(
        f"{URL}/people",
        headers=officer,
        json={"name": "王专员", "role": "service_commissioner", "region_code": "620102"},
    )
    person_id = person.json()["id"]
    responses = await asyncio.gather(
        *[
            live_client.post(
                f"{URL}/people/{person_id}/assignments",
                headers=officer,
                json={"uscc": uscc, "assigned_on": "2026-02-01"},
            )
            for _ in range(RACERS)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"already_assigned"}
