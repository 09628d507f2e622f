"""Every Kafka client (consumer, producer, admin) is built with the same connection and SASL
settings, so none can connect to the production broker without its service's credentials."""

from __future__ import annotations

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import SecretStr, ValidationError

from sme_common.directory.consumers import directory_consumer
from sme_common.events.consumer import ConsumerRunner
from sme_common.events.relay import build_producer
from sme_common.settings import KafkaSettings, ServiceSettings

SASL = KafkaSettings(
    bootstrap_servers="kafka:9092",
    security_protocol="SASL_PLAINTEXT",
    sasl_mechanism="SCRAM-SHA-512",
    sasl_username="certification",
    sasl_password=SecretStr("s3cret-for-certification"),
)


def test_client_options_carry_the_sasl_settings() -> None:
    assert SASL.client_options() == {
        "bootstrap_servers": "kafka:9092",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "certification",
        "sasl_plain_password": "s3cret-for-certification",
    }


async def test_consumer_producer_and_admin_clients_authenticate_with_sasl() -> None:
    runner = ConsumerRunner(
        spec=directory_consumer("certification"),
        database=None,  # type: ignore[arg-type]
        kafka=SASL,
    )
    consumer = runner.build_consumer(["registry.enterprise"], runner.group_id)
    producer = build_producer(SASL)
    admin = AIOKafkaAdminClient(**SASL.client_options())
    for client in (consumer._client, producer.client, admin._client):
        assert client._security_protocol == "SASL_PLAINTEXT"
        assert client._sasl_mechanism == "SCRAM-SHA-512"
        assert client._sasl_plain_username == "certification"
        assert client._sasl_plain_password == "s3cret-for-certification"


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValidationError, match="sasl_username"):
        KafkaSettings(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512")


def test_a_placeholder_kafka_password_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match=r"kafka\.sasl_password"):
        ServiceSettings(
            environment="production",
            database_url=SecretStr("postgresql://u:s3cure-Pass@db:5432/x"),
            kafka=SASL.model_copy(update={"sasl_password": SecretStr("changeme")}),
        )
