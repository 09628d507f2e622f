"""JSON Schema per event type, kept in the repo under ``sme_common/contracts/events/<producer>/``.

One place for every contract (architecture.md); each folder is owned by the producing service. Producers
validate before an event enters the outbox; consumers validate before they act, and a record that does
not match is a poison message (dead-lettered, not retried).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator

CONTRACTS_PACKAGE = "sme_common.contracts.events"


class EventSchemaError(ValueError):
    def __init__(self, event_type: str, message: str) -> None:
        super().__init__(f"{event_type}: {message}")
        self.event_type = event_type


@cache
def _all_schemas() -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    root = resources.files(CONTRACTS_PACKAGE)
    for producer in root.iterdir():
        if not producer.is_dir() or producer.name.startswith("_"):
            continue
        for entry in producer.iterdir():
            if entry.name.endswith(".schema.json"):
                schema = json.loads(entry.read_text(encoding="utf-8"))
                event_type = entry.name.removesuffix(".schema.json")
                if schema.get("x-event-type") != event_type:
                    raise RuntimeError(f"{entry.name}: x-event-type does not match the file name")
                Draft202012Validator.check_schema(schema)
                schemas[event_type] = schema
    return schemas


def known_event_types() -> frozenset[str]:
    return frozenset(_all_schemas())


def schemas_of(producer: str) -> dict[str, dict[str, Any]]:
    """The schemas a service owns (``x-producer``), by event type, in type order."""
    return {
        event_type: schema
        for event_type, schema in sorted(_all_schemas().items())
        if schema.get("x-producer") == producer
    }


def schema_for(event_type: str) -> dict[str, Any]:
    try:
        return _all_schemas()[event_type]
    except KeyError:
        raise EventSchemaError(event_type, "no JSON Schema is kept for this event type") from None


@cache
def _validator(event_type: str) -> jsonschema_rs.Draft202012Validator:
    # jsonschema-rs, not jsonschema: ~1 µs instead of ~200 µs an event, which decided how fast a
    # consumer keeps up with an import (docs/benchmarks.md). Formats are annotations, as in 2020-12.
    return jsonschema_rs.Draft202012Validator(schema_for(event_type))


def validate_event_data(event_type: str, data: Mapping[str, Any]) -> None:
    try:
        _validator(event_type).validate(dict(data))
    except jsonschema_rs.ValidationError as exc:
        where = "/".join(str(p) for p in exc.instance_path) or "(root)"
        raise EventSchemaError(event_type, f"{where}: {exc.message}") from None
