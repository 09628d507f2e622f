"""The directory's read API: one enterprise or pages of them, only inside the caller's region,
paged by cursors it issued (anything else is a 422 cursor_invalid)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from libs.common.tests.integration.test_directory import registered
from sme_common.directory.consumers import directory_consumer
from sme_common.directory.router import directory_router
from sme_common.events.consumer import ConsumerRunner
from sme_common.ids import make_uscc
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import AuthSettings, KafkaSettings, ServiceSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, isolated_database

URL = "/api/certification/v1/enterprises"
LANZHOU = [make_uscc(region="620102", body=f"MK00000{n}") for n in range(1, 6)]
TIANSHUI = make_uscc(region="620502", body="MK000009")


@pytest.fixture
async def client(
    database_factory: DatabaseFactory, auth_dir: Path
) -> AsyncIterator[httpx.AsyncClient]:
    url = database_factory.create("directory_api", "sme_certification")
    definition = ServiceDefinition(
        name="certification",
        package="sme_certification",
        title="directory only",
        routers=[directory_router("certification")],
        settings_factory=ServiceSettings,
    )
    settings = ServiceSettings(
        database_url=url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
    )
    async for database in isolated_database(url):
        runner = ConsumerRunner(
            spec=directory_consumer("certification"), database=database, kafka=settings.kafka
        )
        tianshui = registered(TIANSHUI, region_code="620502", reporting_unit_code="620500")
        for event in [*(registered(uscc) for uscc in LANZHOU), tianshui]:
            await runner.apply(event, runner.spec.handlers[event.type])
        app = create_service_app(definition, settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://c") as http:
            yield http


async def test_pages_visit_every_enterprise_of_the_region_once_in_uscc_order(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou = bearer("city_officer", region="620100")
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        response = await client.get(URL, params=params, headers=lanzhou)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [e["uscc"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == sorted(LANZHOU)


async def test_one_enterprise_is_read_only_inside_the_region(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou = bearer("city_officer", region="620100")
    assert (await client.get(f"{URL}/{LANZHOU[0]}", headers=lanzhou)).json()["uscc"] == LANZHOU[0]
    outside = await client.get(f"{URL}/{TIANSHUI}", headers=lanzhou)
    assert (outside.status_code, outside.json()["code"]) == (404, "enterprise_not_found")


@pytest.mark.parametrize(
    "cursor",
    ["%%%", base64.urlsafe_b64encode(LANZHOU[0].encode()).decode(), "eyJ1Ijo1fQ=="],
)
async def test_a_cursor_we_did_not_issue_is_cursor_invalid(
    client: httpx.AsyncClient, bearer: TokenFactory, cursor: str
) -> None:
    response = await client.get(
        URL, params={"cursor": cursor}, headers=bearer("province_officer", region="620000")
    )
    assert (response.status_code, response.json()["code"]) == (422, "cursor_invalid")


async def test_an_enterprise_sees_its_own_directory_entry_and_no_other(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    own, other = LANZHOU[0], TIANSHUI
    enterprise = bearer("enterprise", uscc=own)
    mine = await client.get(f"{URL}/{own}", headers=enterprise)
    assert mine.status_code == 200 and mine.json()["uscc"] == own
    theirs = await client.get(f"{URL}/{other}", headers=enterprise)
    assert theirs.status_code == 404 and theirs.json()["code"] == "enterprise_not_found"
    neighbour = await client.get(f"{URL}/{LANZHOU[1]}", headers=enterprise)
    assert neighbour.status_code == 404  # the same county is no nearer
    page = await client.get(URL, headers=enterprise)
    assert page.status_code == 200
    assert [e["uscc"] for e in page.json()["items"]] == [own]
    assert page.json()["next_cursor"] is None
