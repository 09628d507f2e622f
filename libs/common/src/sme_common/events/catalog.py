"""What a service tells integrators about its events, next to its OpenAPI document.

``GET /api/<service>/v1/event-schemas`` lists the event types the service produces (the schemas in
its contracts folder), ``…/event-schemas/{event_type}`` serves one JSON Schema (the URL every event's
``dataschema`` names), and ``GET /api/<service>/asyncapi.json`` is an AsyncAPI 3.0 document of the
topics it sends to and receives from, with the payload schemas inline and the CloudEvents headers.
The schemas are for any caller holding a token (they say nothing about enterprises); the AsyncAPI
document is public like the OpenAPI document.
"""

# No ``from __future__ import annotations``: FastAPI must see ``reader`` (a local) in the signature.
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sme_common.auth.dependencies import require
from sme_common.auth.principal import Principal, Role
from sme_common.errors import NotFound, problems
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import EVENT_TYPE_PATTERN, schema_url, split_version
from sme_common.events.schemas import known_event_types, schema_for, schemas_of

SCHEMA_MEDIA_TYPE = "application/schema+json"
ASYNCAPI_VERSION = "3.0.0"
# The payloads are JSON Schema 2020-12, which AsyncAPI names by media type (Multi Format Schema).
PAYLOAD_FORMAT = "application/schema+json;version=draft-2020-12"


class EventSchemaEntry(BaseModel):
    type: str
    version: int
    topic: str
    url: str


def event_schemas_router(service: str, *, public_base_url: str | None = None) -> APIRouter:
    """``public_base_url`` (settings.py) makes the listed URLs absolute, as events' ``dataschema``;
    the schema documents are served as committed (their ``$id`` is the path, which resolves
    against the address they were fetched from)."""
    router = APIRouter(prefix="/event-schemas", tags=["event contracts"])
    # Integrators (agency systems) read them with the service's read scope; officers need none.
    reader = require(roles=list(Role), scope=f"{service}:read")

    @router.get("", response_model=list[EventSchemaEntry], operation_id="list_event_schemas")
    async def list_event_schemas(
        _principal: Annotated[Principal, Depends(reader)],
    ) -> list[EventSchemaEntry]:
        """The event types this service produces, each with the URL of its JSON Schema."""
        return [
            EventSchemaEntry(
                type=event_type,
                version=split_version(event_type)[1],
                topic=schema["x-topic"],
                url=schema_url(event_type, public_base_url),
            )
            for event_type, schema in schemas_of(service).items()
        ]

    @router.get(
        "/{event_type}",
        operation_id="get_event_schema",
        response_class=JSONResponse,
        responses={
            200: {
                "description": "The JSON Schema (2020-12) of the event's data",
                "content": {SCHEMA_MEDIA_TYPE: {"schema": {"type": "object"}}},
            },
            **problems(404, codes={404: ("event_schema_not_found",)}),
        },
    )
    async def get_event_schema(
        _principal: Annotated[Principal, Depends(reader)],
        event_type: Annotated[str, Path(pattern=EVENT_TYPE_PATTERN.pattern, max_length=200)],
    ) -> JSONResponse:
        """The JSON Schema an event's ``dataschema`` names."""
        schema = schemas_of(service).get(event_type)
        if schema is None:
            raise NotFound(
                "event_schema_not_found",
                f"{service} produces no event of type {event_type}",
                f"本服务不产生类型为 {event_type} 的事件",
                field="event_type",
            )
        return JSONResponse(schema, media_type=SCHEMA_MEDIA_TYPE)

    return router


def _key(name: str) -> str:
    """AsyncAPI component and channel keys allow letters, digits, ``_`` and ``-`` only."""
    return name.replace(".", "_")


def _ce_headers(event_type: str, public_base_url: str | None) -> dict[str, Any]:
    """The CloudEvents attributes in Kafka binary mode (envelope.py), as a headers schema."""
    text = {"type": "string"}
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time"],
        "properties": {
            "ce_specversion": {"const": "1.0"},
            "ce_id": text,
            "ce_source": {"type": "string", "format": "uri-reference"},
            "ce_type": {"const": event_type},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {**text, "description": "the message key (the USCC for enterprises)"},
            "ce_dataschema": {"const": schema_url(event_type, public_base_url)},
            "ce_traceparent": text,
            "ce_correlationid": text,
            "ce_causationid": text,
            "traceparent": {**text, "description": "W3C trace context"},
            "content-type": {"const": "application/json"},
        },
    }


def _message(event_type: str, public_base_url: str | None) -> dict[str, Any]:
    schema = schema_for(event_type)
    return {
        "name": event_type,
        "title": schema.get("title", event_type),
        "contentType": "application/json",
        "headers": _ce_headers(event_type, public_base_url),
        "payload": {"schemaFormat": PAYLOAD_FORMAT, "schema": schema},
        "bindings": {"kafka": {"key": {"type": "string"}, "bindingVersion": "0.5.0"}},
    }


def asyncapi_document(
    *,
    service: str,
    title: str,
    produced_topics: Iterable[str],
    consumers: Sequence[ConsumerSpec],
    public_base_url: str | None = None,
) -> dict[str, Any]:
    """Channels are the topics the service sends to and the topics its consumers read."""
    by_topic: dict[str, list[str]] = {}
    for event_type in sorted(known_event_types()):
        by_topic.setdefault(schema_for(event_type)["x-topic"], []).append(event_type)
    produced = list(dict.fromkeys(produced_topics))
    consumed = list(dict.fromkeys(t for spec in consumers for t in spec.topics))
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for topic in dict.fromkeys([*produced, *consumed]):
        types = by_topic.get(topic, [])
        for event_type in types:
            messages[_key(event_type)] = _message(event_type, public_base_url)
        channels[_key(topic)] = {
            "address": topic,
            "messages": {_key(t): {"$ref": f"#/components/messages/{_key(t)}"} for t in types},
        }

    def refs(topic: str, types: Iterable[str]) -> list[dict[str, str]]:
        return [{"$ref": f"#/channels/{_key(topic)}/messages/{_key(t)}"} for t in types]

    operations: dict[str, Any] = {}
    for topic in produced:
        operations[f"send_{_key(topic)}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{_key(topic)}"},
            "messages": refs(topic, by_topic.get(topic, [])),
        }
    for spec in consumers:
        for topic in spec.topics:
            handled = [t for t in by_topic.get(topic, []) if t in spec.handlers]
            operations[f"receive_{_key(spec.name)}_{_key(topic)}"] = {
                "action": "receive",
                "title": f"consumer {spec.name} (its Kafka group)",
                "channel": {"$ref": f"#/channels/{_key(topic)}"},
                "messages": refs(topic, handled),
            }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": f"{title}: events",
            "version": "1",
            "description": (
                "CloudEvents 1.0 in Kafka binary mode: attributes in ce_* headers, the JSON data "
                "as the value, the key is the subject. Schemas are also served at "
                f"/api/{service}/v1/event-schemas."
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def asyncapi_router(
    *,
    prefix: str,
    service: str,
    title: str,
    produced_topics: Sequence[str],
    consumers: Sequence[ConsumerSpec],
    public_base_url: str | None = None,
) -> APIRouter:
    router = APIRouter(prefix=prefix)
    document = asyncapi_document(
        service=service,
        title=title,
        produced_topics=produced_topics,
        consumers=consumers,
        public_base_url=public_base_url,
    )

    # Outside the OpenAPI document, like openapi.json itself.
    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        return JSONResponse(document)

    return router
