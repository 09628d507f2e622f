"""Deliveries of one work order that arrive together (the hotline retrying while the first is
still in flight) file one case: the unique (channel, work order) key decides, the others answer
that case (200) or, with other content, a 409. These run on a database of their own with real
commits (the usual rolled-back test transaction cannot hold two connections)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from sqlalchemy import text

from services.complaints.tests.support import API, HOTLINE_SCOPES, complaint
from sme_common.clock import FixedClock
from sme_common.db.engine import Database
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory
from sme_complaints.app import create_app
from sme_complaints.config import Settings

RACERS = 8


@pytest_asyncio.fixture
async def live_client(
    database_factory: DatabaseFactory, auth_dir: Path, business_clock: FixedClock
) -> AsyncIterator[httpx.AsyncClient]:
    url = database_factory.create("complaints_race", "sme_complaints")
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
            transport=httpx.ASGITransport(app=app), base_url="http://complaints"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        await database.dispose()


async def cases_of(client: httpx.AsyncClient, work_order_no: str) -> int:
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    async with database.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT count(*) FROM complaint_case WHERE work_order_no = :number"),
            {"number": work_order_no},
        )
        return int(found.scalar_one())


async def test_deliveries_of_one_work_order_at_once_file_one_case(
    live_client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    hotline = bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-race-1")
    body = complaint(work_order_no="GS12345-RACE-0001")
    answers = await asyncio.gather(
        *[live_client.post(f"{API}/cases", headers=hotline, json=body) for _ in range(RACERS)]
    )
    assert Counter(a.status_code for a in answers) == {201: 1, 200: RACERS - 1}, [
        a.text for a in answers if a.status_code not in (200, 201)
    ]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await cases_of(live_client, "GS12345-RACE-0001") == 1


async def test_deliveries_of_one_work_order_with_other_content_never_file_two_cases(
    live_client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    hotline = bearer("hotline", scopes=HOTLINE_SCOPES, client_id="hotline-race-2")
    bodies = [
        complaint(work_order_no="GS12345-RACE-0002", amount_owed_fen=owed)
        for owed in (60_000_000, 50_000_000) * (RACERS // 2)
    ]
    answers = await asyncio.gather(
        *[live_client.post(f"{API}/cases", headers=hotline, json=body) for body in bodies]
    )
    filed = [(a, b) for a, b in zip(answers, bodies, strict=True) if a.status_code == 201]
    assert len(filed) == 1, [a.text for a in answers]
    winner, winning_body = filed[0]
    for answer, body in zip(answers, bodies, strict=True):
        if answer is winner:
            continue
        if body == winning_body:
            assert answer.status_code == 200, answer.text
            assert answer.json()["id"] == winner.json()["id"]
        else:
            assert answer.status_code == 409, answer.text
            assert answer.json()["code"] == "work_order_conflict"
    assert await cases_of(live_client, "GS12345-RACE-0002") == 1
