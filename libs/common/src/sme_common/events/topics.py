"""Topics are created at start-up by the services that use them (Tansu keeps none across restarts)."""

from __future__ import annotations

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from sme_common.settings import KafkaSettings

log = structlog.get_logger(__name__)


def dead_letter_topic(consumer_name: str) -> str:
    return f"{consumer_name}.dlt"


async def ensure_topics(kafka: KafkaSettings, logical_names: list[str]) -> None:
    """Create the topics that do not exist yet; existing ones are left as they are."""
    admin = AIOKafkaAdminClient(
        **kafka.client_options(), request_timeout_ms=kafka.request_timeout_ms
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [kafka.topic(name) for name in logical_names]
        missing = [name for name in dict.fromkeys(wanted) if name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        name=name,
                        num_partitions=kafka.topic_partitions,
                        replication_factor=kafka.topic_replication_factor,
                    )
                    for name in missing
                ]
            )
            log.info("topics_created", topics=missing)
    finally:
        await admin.close()
