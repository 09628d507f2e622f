"""What every event contract is made of: the ``EventData`` base, the shared field types, and the
JSON Schema a contract generates.

One Pydantic model per event type and version is the contract (issue 7): producers build an event's
data only through it (``EnterpriseRegisteredV1(...).to_event_data()``), consumers read it with
``Model.parse(event.data)``, and the JSON Schema committed beside it
(``contracts/events/<producer>/<type>.schema.json``: what a service serves, what ``dataschema`` names,
what the outbox and the consumers check with jsonschema-rs) is generated from it
(``python -m sme_common.contracts generate``); ``tests/contracts/test_event_schema_drift.py`` fails
when a committed file differs from what its model generates.

The wire rules the hand-written schemas had, and the models keep:
- unknown fields are allowed (``additionalProperties: true``) and kept when parsed: within a major
  version only optional fields are added, and consumers ignore fields they do not know;
- an optional field that is never null (``str | MISSING``) is left out when not set; an optional
  nullable field (``str | None = None``) is sent as null;
- timestamps as ``datetime.isoformat()`` writes them (``2026-11-26T08:00:00.123456+00:00``, the
  offset spelled out, as events always carried them; Pydantic would write ``Z``), dates
  ``YYYY-MM-DD``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)
from pydantic.json_schema import GenerateJsonSchema

from sme_common.events.envelope import schema_path, topic_for
from sme_common.events.schemas import EventSchemaError

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
VERSIONING_RULE = (
    "Within v1 only optional fields are added; consumers ignore fields they do not know."
)
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"


def _isoformat(value: datetime) -> str:
    return value.isoformat()


Timestamp = Annotated[
    AwareDatetime, PlainSerializer(_isoformat, return_type=str, when_used="json-unless-none")
]
"""An aware instant, written as ``isoformat()`` does (the offset spelled out)."""

Uscc = Annotated[
    str, Field(pattern=USCC_PATTERN, description="Unified social credit code (GB 32100-2015)")
]


class EventContractError(ValueError):
    """A producer tried to send what its contract does not declare (a bug, not caller input)."""


class EventData(BaseModel):
    """Base of every event's data. A subclass declares ``event_type`` and its fields; its docstring
    is the schema's description and each attribute docstring that field's description."""

    model_config = ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)

    event_type: ClassVar[str]
    # The data field that is the record's key and the CloudEvent's subject (api-guidelines.md).
    key_field: ClassVar[str] = "uscc"

    @property
    def key(self) -> str:
        return str(getattr(self, self.key_field))

    def to_event_data(self) -> dict[str, Any]:
        """The CloudEvent's ``data``. A producer sends only what the contract declares: a field it
        wants to add goes into the model (and so into the schema) first."""
        if self.model_extra:
            raise EventContractError(
                f"{self.event_type}: undeclared fields {sorted(self.model_extra)}; "
                "add them to the contract first"
            )
        return self.model_dump(mode="json")

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        """Read an event's data; data the contract refuses is a permanent failure (the consumer
        dead-letters it as ``schema_invalid``), never retried."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "/".join(str(part) for part in first["loc"]) or "(root)"
            raise EventSchemaError(cls.event_type, f"{where}: {first['msg']}") from None

    @classmethod
    def producer(cls) -> str:
        return cls.event_type.split(".", 1)[0]

    @classmethod
    def json_schema_document(cls) -> dict[str, Any]:
        """The committed JSON Schema (2020-12) of this event's data."""
        generated = cls.model_json_schema(schema_generator=_ContractSchemaGenerator)
        body = _tidy(_inline(generated, generated.pop("$defs", {})))
        description = " ".join(p for p in (body.get("description", ""), VERSIONING_RULE) if p)
        document: dict[str, Any] = {
            "$schema": JSON_SCHEMA_DIALECT,
            # Where the producer serves it (catalog.py); relative, so it resolves against the
            # address the reader fetched it from (the gateway's, whatever that is).
            "$id": schema_path(cls.event_type),
            "x-event-type": cls.event_type,
            "x-producer": cls.producer(),
            "x-topic": topic_for(cls.event_type),
            "x-key": cls.key_field,
            "title": body["title"],
            "description": description,
            "type": "object",
            "required": body.get("required", []),
            "properties": body["properties"],
            "additionalProperties": body.get("additionalProperties", True),
        }
        return document


class EventPart(BaseModel):
    """A nested object of an event's data: unknown fields allowed and kept, like the event's."""

    model_config = ConfigDict(extra="allow", frozen=True, use_attribute_docstrings=True)


def render(document: Mapping[str, Any]) -> str:
    """A schema document as committed: two-space indent, UTF-8 text, a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class _ContractSchemaGenerator(GenerateJsonSchema):
    def field_title_should_be_set(self, schema: Any) -> bool:  # noqa: ARG002
        # Pydantic's per-field titles ("Uscc") say nothing the property name does not.
        return False


def _inline(node: Any, definitions: Mapping[str, Any]) -> Any:
    """Nested models inline rather than under ``$defs``: each document reads top to bottom, and
    references need no base URI (``$id`` is relative)."""
    if isinstance(node, list):
        return [_inline(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = dict(definitions[ref.removeprefix("#/$defs/")])
        target.pop("title", None)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return _inline({**target, **rest}, definitions)
    return {key: _inline(value, definitions) for key, value in node.items()}


# Keywords in the order a reader wants them: what it is, its limits, then the prose.
_KEY_ORDER = (
    "type",
    "format",
    "pattern",
    "enum",
    "const",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "items",
    "required",
    "properties",
    "additionalProperties",
    "default",
    "deprecated",
    "description",
)


def _ordered(node: dict[str, Any]) -> dict[str, Any]:
    rank = {key: position for position, key in enumerate(_KEY_ORDER)}
    return dict(sorted(node.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def _tidy(node: Any, *, names: bool = False) -> Any:
    """``anyOf`` of bare types as one type list (``{"type": ["string", "null"]}``), the form the
    schemas were written in (JSON Schema reads both the same); docstring line breaks as spaces;
    keywords in reading order. ``names``: ``node`` maps property names, kept in field order."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {name: _tidy(value) for name, value in node.items()}
    node = {key: _tidy(value, names=key == "properties") for key, value in node.items()}
    if isinstance(node.get("description"), str):
        node["description"] = re.sub(r"\s*\n\s*", " ", node["description"])
    return _ordered(_merge_null(node))


def _merge_null(node: dict[str, Any]) -> dict[str, Any]:
    choices = node.get("anyOf")
    if not isinstance(choices, list):
        return node
    rest = {k: v for k, v in node.items() if k != "anyOf"}
    if all(isinstance(c, dict) and set(c) == {"type"} for c in choices):
        types = [c["type"] for c in choices]
        if "number" in types and "integer" in types:
            types.remove("integer")  # an integer is a number (``int | float``)
        return {**rest, "type": types}
    others = [c for c in choices if c != {"type": "null"}]
    if len(choices) == 2 and len(others) == 1:
        (other,) = others
        if isinstance(other.get("type"), str) and not {"anyOf", "$ref", "const"} & set(other):
            merged = {**other, **rest, "type": [other["type"], "null"]}
            if "enum" in merged:
                merged["enum"] = [*merged["enum"], None]
            return merged
    return node
