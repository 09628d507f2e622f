"""The register reads the time from the business clock (sme_common.clock): fixing it fixes "now"
and "today" for every use case, and today is the Asia/Shanghai date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.registry.tests.support import URL, register_enterprise
from sme_common import clock
from sme_common.testing.plugin import TokenFactory

# 00:30 on 1 January 2026 in Shanghai, still 31 December 2025 in UTC.
NEW_YEAR_IN_SHANGHAI = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)


@pytest.fixture
def fixed() -> Iterator[clock.FixedClock]:
    with clock.use_clock(clock.FixedClock(NEW_YEAR_IN_SHANGHAI)) as fixed:
        assert isinstance(fixed, clock.FixedClock)
        yield fixed


async def test_today_is_the_shanghai_date_and_now_the_clocks(
    client: httpx.AsyncClient, bearer: TokenFactory, fixed: clock.FixedClock
) -> None:
    officer = bearer("province_officer", region="620000")
    # Founded "today": 1 January in Shanghai, though UTC still says 31 December.
    uscc = await register_enterprise(client, officer, "MQ000001", founded_on="2026-01-01")
    entry = (await client.get(f"{URL}/enterprises/{uscc}", headers=officer)).json()
    assert datetime.fromisoformat(entry["created_at"]) == NEW_YEAR_IN_SHANGHAI

    fixed.advance(timedelta(hours=1, minutes=30))
    renamed = await client.patch(
        f"{URL}/enterprises/{uscc}", headers=officer, json={"version": 1, "name": "新年企业"}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["former_names"][0]["until"] == "2026-01-01"
    assert datetime.fromisoformat(renamed.json()["updated_at"]) == fixed.now()

    tomorrow = await client.get(
        f"{URL}/enterprises/{uscc}", params={"as_of": "2026-01-02"}, headers=officer
    )
    assert (tomorrow.status_code, tomorrow.json()["code"]) == (422, "as_of_in_future")
    future_facts = await client.put(
        f"{URL}/enterprises/{uscc}/facts/2027", headers=officer, json={"employees": 5}
    )
    assert future_facts.json()["code"] == "year_in_future"
    assert (
        await client.put(
            f"{URL}/enterprises/{uscc}/facts/2026", headers=officer, json={"employees": 5}
        )
    ).status_code == 201
