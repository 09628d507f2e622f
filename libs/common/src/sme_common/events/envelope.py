"""CloudEvents 1.0 in Kafka binary mode: attributes in ``ce_*`` headers, the JSON data as the value.

Types follow ``<service>.<aggregate>.<past-tense>.v<major>`` (api-guidelines.md); the topic is the
first two parts (``registry.enterprise``) and the key is the USCC wherever an enterprise is concerned,
so that events of one enterprise stay in order.

``dataschema`` names the JSON Schema the data follows, where the producing service serves it
(``/api/<producer>/v1/event-schemas/<type>``; the producer is the type's first part). CloudEvents
1.0.2 types ``dataschema`` as an absolute URI: a service told the address callers reach the platform
by (the ``public_base_url`` setting) writes it absolute when the event enters the outbox
(``with_public_base_url``); without it the path is all a service knows of itself, and consumers
resolve it against the platform's base URL, as they do ``source`` (docs/architecture.md).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sme_common import clock

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
EVENT_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[0-9]+$")
_EXTENSIONS = ("traceparent", "correlationid", "causationid")


class EnvelopeError(ValueError):
    """A record that is not a CloudEvent we can read: a permanent failure (dead-lettered)."""


def topic_for(event_type: str) -> str:
    """``registry.enterprise.registered.v1`` → ``registry.enterprise``."""
    if not EVENT_TYPE_PATTERN.match(event_type):
        raise EnvelopeError(f"event type {event_type!r} is not <service>.<aggregate>.<verb>.v<n>")
    service, aggregate, _verb, _version = event_type.split(".")
    return f"{service}.{aggregate}"


def schema_path(event_type: str) -> str:
    """Where the producer serves the JSON Schema of ``event_type`` (the default ``dataschema``)."""
    producer = topic_for(event_type).split(".")[0]
    return f"/api/{producer}/v1/event-schemas/{event_type}"


def schema_url(event_type: str, public_base_url: str | None) -> str:
    """``schema_path`` made absolute against the platform's address when it is known."""
    path = schema_path(event_type)
    return f"{public_base_url.rstrip('/')}{path}" if public_base_url else path


def split_version(event_type: str) -> tuple[str, int]:
    """``a.b.c.v2`` → (``a.b.c``, 2)."""
    family, _, version = event_type.rpartition(".v")
    return family, int(version)


@dataclass(frozen=True, slots=True)
class CloudEvent:
    type: str
    source: str
    data: Mapping[str, Any]
    subject: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=clock.now)  # the business clock: as updated_at
    traceparent: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    # None means the schema the type names (schema_path); set only to read back what a record says.
    dataschema: str | None = None

    def __post_init__(self) -> None:
        topic_for(self.type)
        if self.dataschema is None:
            object.__setattr__(self, "dataschema", schema_path(self.type))
        if self.time.tzinfo is None:
            raise EnvelopeError("event time must be timezone-aware")

    @property
    def key(self) -> str | None:
        return self.subject

    def with_public_base_url(self, public_base_url: str | None) -> CloudEvent:
        """The event with its default ``dataschema`` (the path) made absolute; an event whose
        ``dataschema`` was set otherwise, or no base URL, is returned as it is."""
        if not public_base_url or self.dataschema != schema_path(self.type):
            return self
        return replace(self, dataschema=schema_url(self.type, public_base_url))

    def body(self) -> bytes:
        return json.dumps(
            self.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True
        ).encode()

    def kafka_headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION.encode()),
            ("ce_id", self.id.encode()),
            ("ce_source", self.source.encode()),
            ("ce_type", self.type.encode()),
            ("ce_time", self.time.astimezone(UTC).isoformat().encode()),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.dataschema:  # always set by __post_init__; the check is for the type checker
            headers.append(("ce_dataschema", self.dataschema.encode()))
        if self.subject is not None:
            headers.append(("ce_subject", self.subject.encode()))
        for name in _EXTENSIONS:
            value = getattr(self, name)
            if value:
                headers.append((f"ce_{name}", value.encode()))
        if self.traceparent:
            # The plain W3C header as well, for tracing tools that know nothing of CloudEvents.
            headers.append(("traceparent", self.traceparent.encode()))
        return headers

    @classmethod
    def from_kafka(
        cls, headers: Iterable[tuple[str, bytes]] | None, value: bytes | None
    ) -> CloudEvent:
        attrs: dict[str, str] = {}
        for name, raw in headers or ():
            try:
                attrs[name] = raw.decode() if raw is not None else ""
            except UnicodeDecodeError as exc:
                raise EnvelopeError(f"header {name} is not UTF-8") from exc
        if attrs.get("ce_specversion") != SPEC_VERSION:
            raise EnvelopeError(f"ce_specversion {attrs.get('ce_specversion')!r} is not 1.0")
        missing = [h for h in ("ce_id", "ce_source", "ce_type") if not attrs.get(h)]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if value is None:
            raise EnvelopeError("record has no value")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeError(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("event data must be a JSON object")
        try:
            time = datetime.fromisoformat(attrs["ce_time"]) if attrs.get("ce_time") else None
        except ValueError as exc:
            raise EnvelopeError(f"ce_time is not RFC 3339: {attrs['ce_time']!r}") from exc
        return cls(
            type=attrs["ce_type"],
            source=attrs["ce_source"],
            data=data,
            subject=attrs.get("ce_subject"),
            id=attrs["ce_id"],
            time=time or clock.now(),
            traceparent=attrs.get("ce_traceparent") or attrs.get("traceparent"),
            correlationid=attrs.get("ce_correlationid"),
            causationid=attrs.get("ce_causationid"),
            dataschema=attrs.get("ce_dataschema"),
        )
