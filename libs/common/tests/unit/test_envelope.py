"""CloudEvents 1.0 in Kafka binary mode, and the event JSON Schemas."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sme_common.events.envelope import CloudEvent, EnvelopeError, topic_for
from sme_common.events.schemas import EventSchemaError, known_event_types, validate_event_data

DATA = {
    "uscc": "91110000600037341L",
    "name": "示例",
    "region_code": "620102",
    "reporting_unit_code": "620100",
    "registered_at": "2026-11-24T08:00:00+00:00",
    "version": 1,
}


def test_round_trip_through_kafka_headers_keeps_every_attribute() -> None:
    event = CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        subject="91110000600037341L",
        data=DATA,
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        correlationid="req-1",
        causationid="evt-0",
        time=datetime(2026, 11, 24, 8, tzinfo=UTC),
    )
    headers = event.kafka_headers()
    names = [name for name, _ in headers]
    assert {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_traceparent",
        "ce_correlationid",
        "ce_causationid",
        "ce_dataschema",
        "traceparent",
    } <= set(names)
    assert CloudEvent.from_kafka(headers, event.body()) == event


def test_events_name_the_schema_their_producer_serves() -> None:
    event = CloudEvent(type="registry.enterprise.registered.v1", source="/sme/registry", data=DATA)
    assert event.dataschema == "/api/registry/v1/event-schemas/registry.enterprise.registered.v1"
    assert ("ce_dataschema", event.dataschema.encode()) in event.kafka_headers()
    loan = CloudEvent(type="finance-matching.loan.reported.v1", source="/sme/fm", data={})
    assert (
        loan.dataschema
        == "/api/finance-matching/v1/event-schemas/finance-matching.loan.reported.v1"
    )


def test_the_dataschema_a_record_carries_is_read_back_as_written() -> None:
    event = CloudEvent(
        type="registry.enterprise.registered.v1",
        source="/sme/registry",
        data=DATA,
        dataschema="https://sme.example.org/api/registry/v1/event-schemas/x",
    )
    read = CloudEvent.from_kafka(event.kafka_headers(), event.body())
    assert read.dataschema == "https://sme.example.org/api/registry/v1/event-schemas/x"


def test_topic_is_service_and_aggregate() -> None:
    assert topic_for("certification.certificate.granted.v1") == "certification.certificate"
    with pytest.raises(EnvelopeError):
        topic_for("CertificateGranted")


@pytest.mark.parametrize(
    ("headers", "value"),
    [
        ([], b"{}"),
        (
            [
                ("ce_specversion", b"0.3"),
                ("ce_id", b"1"),
                ("ce_source", b"s"),
                ("ce_type", b"a.b.c.v1"),
            ],
            b"{}",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"s"),
                ("ce_type", b"a.b.c.v1"),
            ],
            b"not json",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"s"),
                ("ce_type", b"a.b.c.v1"),
            ],
            b"[1, 2]",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"s"),
                ("ce_type", b"a.b.c.v1"),
                ("ce_time", b"yesterday"),
            ],
            b"{}",
        ),
        (
            [
                ("ce_specversion", b"1.0"),
                ("ce_id", b"1"),
                ("ce_source", b"s"),
                ("ce_type", b"a.b.c.v1"),
            ],
            None,
        ),
    ],
)
def test_unreadable_records_are_envelope_errors(
    headers: list[tuple[str, bytes]], value: bytes | None
) -> None:
    with pytest.raises(EnvelopeError):
        CloudEvent.from_kafka(headers, value)


def test_every_kept_schema_is_valid_and_named_after_its_type() -> None:
    assert "registry.enterprise.registered.v1" in known_event_types()


def test_event_data_is_checked_against_its_schema() -> None:
    validate_event_data("registry.enterprise.registered.v1", DATA)
    with pytest.raises(EventSchemaError, match="region_code"):
        validate_event_data("registry.enterprise.registered.v1", {**DATA, "region_code": "62"})
    with pytest.raises(EventSchemaError, match="no JSON Schema"):
        validate_event_data("registry.enterprise.vanished.v1", DATA)
