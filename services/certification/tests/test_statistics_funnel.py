"""The cultivation funnel (培育漏斗): each batch's applications by status, in the caller's region,
and the titles granted from them."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from services.certification.tests.support import (
    CHENGGUAN,
    LANZHOU,
    QINZHOU,
    TIANSHUI,
    URL,
    known_enterprise,
    make_application,
    make_batch,
)
from sme_certification.certificates.service import grant_certificate
from sme_certification.rules.facts import Level, Tier
from sme_common.db import Database, UnitOfWork
from sme_common.testing.plugin import TokenFactory


def database(client: httpx.AsyncClient) -> Database:
    db: Database = client.app.state.database  # type: ignore[attr-defined]
    return db


async def funnel(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> Any:
    response = await client.get(f"{URL}/statistics/funnel", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_the_funnel_counts_each_batch_by_status_within_the_region(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    batch = await make_batch(client, province)
    lanzhou = [await known_enterprise(database(client), f"FN00000{n}") for n in (1, 2)]
    tianshui = await known_enterprise(database(client), "FN000003", region=QINZHOU, unit=TIANSHUI)
    first = await make_application(client, province, batch["id"], lanzhou[0])
    await make_application(client, province, batch["id"], lanzhou[1])
    await make_application(client, province, batch["id"], tianshui)
    filed = await client.post(
        f"{URL}/applications/{first['id']}/submit", headers=province, json={"version": 1}
    )
    assert filed.status_code == 200, filed.text

    [row] = await funnel(client, province)
    assert (row["batch_id"], row["tier"], row["level"], row["year"]) == (
        batch["id"],
        "specialised",
        "provincial",
        2026,
    )
    assert row["by_status"] == {"draft": 2, "submitted": 1}
    assert (row["filed"], row["granted"]) == (1, 0)

    [city] = await funnel(client, bearer("city_officer", region=TIANSHUI))
    assert (city["by_status"], city["filed"]) == ({"draft": 1}, 0)
    [county] = await funnel(client, bearer("county_officer", region=CHENGGUAN))
    assert county["by_status"] == {"draft": 1, "submitted": 1}
    assert await funnel(client, bearer("city_officer", region=LANZHOU), year=2025) == []

    # The decision step grants with the application: the batch's titles are counted.
    async with UnitOfWork(database(client)) as uow:
        await grant_certificate(
            uow,
            uscc=lanzhou[0],
            tier=Tier.SPECIALISED,
            level=Level.PROVINCIAL,
            issued_on=date(2026, 6, 10),
            application_id=first["id"],
            actor="test",
        )
        await uow.commit()
    [row] = await funnel(client, province, year=2026)
    assert row["granted"] == 1
    [city] = await funnel(client, bearer("city_officer", region=TIANSHUI))
    assert city["granted"] == 0
