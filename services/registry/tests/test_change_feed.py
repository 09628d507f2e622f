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
