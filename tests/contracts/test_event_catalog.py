"""Every service serves the JSON Schemas of the events it produces (for any caller with a token) and an
AsyncAPI 3.0 document of the topics it sends to and receives from (public, like its OpenAPI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from sme_common.events.envelope import schema_path
from sme_common.events.schemas import schema_for, schemas_of
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.testing.plugin import TokenFactory
from sme_embedded.platform import SERVICES, ServiceModule


@pytest_asyncio.fixture(params=SERVICES, ids=lambda m: m.definition.name)
async def service_client(
    request: pytest.FixtureRequest, auth_dir: Path
) -> AsyncIterator[tuple[ServiceModule, httpx.AsyncClient]]:
    module: ServiceModule = request.param
    settings = module.settings_class(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
    )
    app = module.create_app(settings)  # the catalog reads no database
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        yield module, client


async def test_each_service_lists_and_serves_the_schemas_it_produces(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    name = module.definition.name
    # An integrator: any machine client with the service's read scope (the schemas name no enterprise).
    headers = bearer("agency_system", scopes=(f"{name}:read",))
    listed = await client.get(f"/api/{name}/v1/event-schemas", headers=headers)
    assert listed.status_code == 200, listed.text
    owned = schemas_of(name)
    assert owned, name
    assert [entry["type"] for entry in listed.json()] == list(owned)
    for entry in listed.json():
        assert entry["url"] == schema_path(entry["type"])
        assert entry["topic"] == owned[entry["type"]]["x-topic"]
        served = await client.get(entry["url"], headers=headers)
        assert served.status_code == 200, served.text
        assert served.headers["content-type"] == "application/schema+json"
        assert served.json() == owned[entry["type"]]


async def test_schemas_need_a_token_and_another_producers_type_is_not_found(
    service_client: tuple[ServiceModule, httpx.AsyncClient], bearer: TokenFactory
) -> None:
    module, client = service_client
    name = module.definition.name
    foreign = (
        "complaints.case.accepted.v1" if name != "complaints" else "funding.payment.settled.v1"
    )
    assert (await client.get(f"/api/{name}/v1/event-schemas")).status_code == 401
    missing = await client.get(
        f"/api/{name}/v1/event-schemas/{foreign}", headers=bearer("province_officer")
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "event_schema_not_found"


async def test_asyncapi_document_has_a_channel_per_topic_and_the_committed_payloads(
    service_client: tuple[ServiceModule, httpx.AsyncClient],
) -> None:
    module, client = service_client
    definition = module.definition
    response = await client.get(f"/api/{definition.name}/asyncapi.json")  # public, like OpenAPI
    assert response.status_code == 200
    document = response.json()
    assert document["asyncapi"] == "3.0.0"
    produced = set(definition.produced_topics)
    consumed = {topic for spec in definition.consumers for topic in spec.topics}
    addresses = [channel["address"] for channel in document["channels"].values()]
    assert sorted(addresses) == sorted(produced | consumed)
    actions = {
        (op["action"], document["channels"][op["channel"]["$ref"].rsplit("/", 1)[1]]["address"])
        for op in document["operations"].values()
    }
    assert actions == {("send", t) for t in produced} | {("receive", t) for t in consumed}
    for message in document["components"]["messages"].values():
        assert message["payload"]["schema"] == schema_for(message["name"])
        assert message["headers"]["properties"]["ce_type"] == {"const": message["name"]}
    for channel in document["channels"].values():
        for ref in channel["messages"].values():
            message = document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]
            assert message["payload"]["schema"]["x-topic"] == channel["address"]


async def test_told_its_public_address_a_service_lists_absolute_schema_urls(
    auth_dir: Path, bearer: TokenFactory
) -> None:
    """The URLs an integrator reads are the ones the events' ``dataschema`` carries; the schema
    documents themselves are served as committed (their ``$id`` is a path, resolved against the
    address they were fetched from)."""
    registry = next(m for m in SERVICES if m.definition.name == "registry")
    base = "https://sme.example.gov.cn"
    settings = registry.settings_class(
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        public_base_url=f"{base}/",
    )
    app = registry.create_app(settings)
    headers = bearer("province_officer", region="620000")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        listed = (await client.get("/api/registry/v1/event-schemas", headers=headers)).json()
        document = (await client.get("/api/registry/asyncapi.json")).json()
        served = await client.get(
            "/api/registry/v1/event-schemas/registry.enterprise.registered.v1", headers=headers
        )
    assert {entry["url"] for entry in listed} == {
        f"{base}{schema_path(event_type)}" for event_type in schemas_of("registry")
    }
    headers_schema = document["components"]["messages"]["registry_enterprise_registered_v1"][
        "headers"
    ]
    assert headers_schema["properties"]["ce_dataschema"] == {
        "const": f"{base}{schema_path('registry.enterprise.registered.v1')}"
    }
    assert served.json() == schema_for("registry.enterprise.registered.v1")
