"""The change feed: typed entries in commit order, region-scoped, resumable from a kept cursor."""

from __future__ import annotations

import httpx

from sme_common.events.relay import OutboxRelay, build_producer
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory, kafka_settings_for_tests

URL = "/api/registry/v1"


async def publish_outbox(client: httpx.AsyncClient, bootstrap: str) -> None:
    kafka = kafka_settings_for_tests(bootstrap)
    relay = OutboxRelay(
        service="registry",
        database=client.app.state.database,  # type: ignore[attr-defined]
        kafka=kafka,
        topics=["registry.enterprise"],
    )
    producer = build_producer(kafka)
    await producer.start()
    try:
        while await relay.publish_batch(producer):
            pass
    finally:
        await producer.stop()


async def test_feed_lists_typed_changes_in_order_and_resumes_from_a_cursor(
    client: httpx.AsyncClient, bearer: TokenFactory, kafka_bootstrap: str
) -> None:
    province = bearer("province_officer", region="620000")
    lanzhou_firm = make_uscc(region="620102", body="MJ000001")
    tianshui_firm = make_uscc(region="620502", body="MJ000002")
    for uscc, region in ((lanzhou_firm, "620102"), (tianshui_firm, "620502")):
        response = await client.post(
            f"{URL}/enterprises",
            headers=province,
            json={"uscc": uscc, "name": "企业" + uscc[-4:], "region_code": region},
        )
        assert response.status_code == 201
    await client.patch(
        f"{URL}/enterprises/{lanzhou_firm}", json={"version": 1, "name": "新名"}, headers=province
    )
    await publish_outbox(client, kafka_bootstrap)

    feed = (await client.get(f"{URL}/changes", headers=province)).json()
    assert [(i["type"], i["uscc"]) for i in feed["items"]] == [
        ("registered", lanzhou_firm),
        ("registered", tianshui_firm),
        ("updated", lanzhou_firm),
    ]
    positions = [i["position"] for i in feed["items"]]
    assert positions == sorted(positions)

    tianshui = bearer("city_officer", region="620500")
    scoped = (await client.get(f"{URL}/changes", headers=tianshui)).json()
    assert [i["uscc"] for i in scoped["items"]] == [tianshui_firm]

    await client.patch(
        f"{URL}/enterprises/{tianshui_firm}",
        json={"version": 1, "name": "天水新名"},
        headers=province,
    )
    await publish_outbox(client, kafka_bootstrap)
    resumed = (
        await client.get(f"{URL}/changes", params={"cursor": feed["next_cursor"]}, headers=province)
    ).json()
    assert [(i["type"], i["uscc"]) for i in resumed["items"]] == [("updated", tianshui_firm)]
    assert resumed["items"][0]["data"]["name"] == "天水新名"


async def test_unpublished_changes_are_not_in_the_feed_yet(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    province = bearer("province_officer", region="620000")
    await client.post(
        f"{URL}/enterprises",
        headers=province,
        json={"uscc": make_uscc(body="MJ000003"), "name": "未发布", "region_code": "620102"},
    )
    feed = (await client.get(f"{URL}/changes", headers=province)).json()
    assert feed["items"] == []


async def _feed(client: httpx.AsyncClient, headers: dict[str, str], uscc: str) -> list[str]:
    items = (await client.get(f"{URL}/changes", headers=headers)).json()["items"]
    return [i["type"] for i in items if i["uscc"] == uscc]


async def _move_lanzhou_firm_to_tianshui(
    client: httpx.AsyncClient, province: dict[str, str], body: str
) -> str:
    """Registered and filed in 兰州 (620102), moved to 天水 (620502), then changed twice there."""
    uscc = make_uscc(region="620102", body=body)
    response = await client.post(
        f"{URL}/enterprises",
        headers=province,
        json={"uscc": uscc, "name": "迁出企业", "region_code": "620102"},
    )
    assert response.status_code == 201, response.text
    filed = await client.put(
        f"{URL}/enterprises/{uscc}/facts/2024", headers=province, json={"employees": 10}
    )
    assert filed.status_code == 201, filed.text
    version = (await client.get(f"{URL}/enterprises/{uscc}", headers=province)).json()["version"]
    moved = await client.patch(
        f"{URL}/enterprises/{uscc}",
        headers=province,
        json={"version": version, "region_code": "620502"},
    )
    assert moved.status_code == 200, moved.text
    renamed = await client.patch(
        f"{URL}/enterprises/{uscc}",
        headers=province,
        json={"version": moved.json()["version"], "name": "天水新名"},
    )
    assert renamed.status_code == 200, renamed.text
    refiled = await client.put(
        f"{URL}/enterprises/{uscc}/facts/2025", headers=province, json={"employees": 12}
    )
    assert refiled.status_code == 201, refiled.text
    return uscc


async def test_a_city_sees_the_move_out_of_its_region_and_nothing_after_it(
    client: httpx.AsyncClient, bearer: TokenFactory, kafka_bootstrap: str
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await _move_lanzhou_firm_to_tianshui(client, province, "MJ000011")
    await publish_outbox(client, kafka_bootstrap)

    lanzhou = bearer("city_officer", region="620100")
    assert await _feed(client, lanzhou, uscc) == ["registered", "facts_filed", "updated"]
    county = bearer("county_officer", region="620102")
    assert await _feed(client, county, uscc) == ["registered", "facts_filed", "updated"]
    items = (await client.get(f"{URL}/changes", headers=lanzhou)).json()["items"]
    move = next(i for i in items if i["uscc"] == uscc and i["type"] == "updated")
    assert move["data"]["region_code"] == "620502"
    assert (move["reporting_unit_code_before"], move["reporting_unit_code_after"]) == (
        "620100",
        "620500",
    )


async def test_a_new_city_reads_changes_from_the_move_on_not_the_old_citys_history(
    client: httpx.AsyncClient, bearer: TokenFactory, kafka_bootstrap: str
) -> None:
    province = bearer("province_officer", region="620000")
    uscc = await _move_lanzhou_firm_to_tianshui(client, province, "MJ000012")
    await publish_outbox(client, kafka_bootstrap)

    tianshui = bearer("city_officer", region="620500")
    assert await _feed(client, tianshui, uscc) == ["updated", "updated", "facts_filed"]
    assert await _feed(client, province, uscc) == [
        "registered",
        "facts_filed",
        "updated",
        "updated",
        "facts_filed",
    ]
    elsewhere = bearer("city_officer", region="620200")
    assert await _feed(client, elsewhere, uscc) == []


async def test_every_enterprise_event_records_its_regions_in_the_same_transaction(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    from sqlalchemy import text

    province = bearer("province_officer", region="620000")
    uscc = await _move_lanzhou_firm_to_tianshui(client, province, "MJ000013")
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = (
            await session.execute(
                text(
                    "SELECT o.event_type, s.region_code_before, s.region_code_after, "
                    "s.reporting_unit_code_before, s.reporting_unit_code_after "
                    "FROM outbox_message o LEFT JOIN enterprise_change_scope s "
                    "ON s.event_id = o.event_id WHERE o.key = :u ORDER BY o.id"
                ),
                {"u": uscc},
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("registry.enterprise.registered.v1", "620102", "620102", "620100", "620100"),
        ("registry.enterprise.facts-filed.v1", "620102", "620102", "620100", "620100"),
        ("registry.enterprise.updated.v1", "620102", "620502", "620100", "620500"),
        ("registry.enterprise.updated.v1", "620502", "620502", "620500", "620500"),
        ("registry.enterprise.facts-filed.v1", "620502", "620502", "620500", "620500"),
    ]


async def test_feed_cursors_that_are_not_positions_we_issued_are_refused(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    import base64

    province = bearer("province_officer", region="620000")
    bad = [
        '{"p":"abc"}',
        '{"p":1.5}',
        '{"p":true}',
        '{"p":-1}',
        '{"p":100000000000000000000000000000}',
        '{"p":1e999}',
        '{"x":1}',
        "[1]",
    ]
    cursors = [base64.urlsafe_b64encode(b.encode()).decode() for b in bad] + ["%%%", "é", "\x00"]
    for cursor in cursors:
        response = await client.get(f"{URL}/changes", params={"cursor": cursor}, headers=province)
        assert response.status_code == 422, (cursor, response.text)
        assert response.json()["code"] in (
            "cursor_invalid",
            "request_invalid",
            "text_nul_character",
        ), cursor


async def test_the_migration_backfill_derives_the_regions_the_trigger_records(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    """Events written before migration 0006 get their regions from the same rule."""
    import importlib

    from sqlalchemy import text

    migration = importlib.import_module("sme_registry.migrations.versions.0006_integrity_and_text")
    province = bearer("province_officer", region="620000")
    await _move_lanzhou_firm_to_tianshui(client, province, "MJ000014")
    await _move_lanzhou_firm_to_tianshui(client, province, "MJ000015")
    query = text(
        "SELECT event_id, outbox_id, uscc, region_code_before, reporting_unit_code_before, "
        "region_code_after, reporting_unit_code_after FROM enterprise_change_scope ORDER BY 1"
    )
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        recorded = (await session.execute(query)).all()
        await session.execute(text("DELETE FROM enterprise_change_scope"))
        await session.execute(text(migration.SCOPE_INSERT.format(source="outbox_message")))
        backfilled = (await session.execute(query)).all()
        await session.rollback()
    assert len(recorded) == 10
    assert backfilled == recorded
