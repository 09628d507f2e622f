"""Events: CloudEvents envelope, JSON Schemas, transactional outbox, relay and idempotent consumers."""

from sme_common.events.envelope import CloudEvent, EnvelopeError, topic_for
from sme_common.events.schemas import EventSchemaError, validate_event_data

__all__ = ["CloudEvent", "EnvelopeError", "EventSchemaError", "topic_for", "validate_event_data"]
