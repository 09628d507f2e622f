"""Transactional outbox: events are rows written in the same transaction as the change they report."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import validate_event_data
from sme_common.events.tables import outbox_message


async def write_outbox_rows(
    session: AsyncSession, events: Sequence[tuple[str, CloudEvent]]
) -> None:
    """Insert the events, in order, after validating each against its JSON Schema.

    The caller has already written (and so locked) the aggregate row, which keeps outbox ids of one
    aggregate in commit order (engineering-notes B1).
    """
    rows = []
    for topic, event in events:
        validate_event_data(event.type, event.data)
        rows.append(
            {
                "event_id": event.id,
                "topic": topic,
                "key": event.key,
                "event_type": event.type,
                "headers": [[name, value.decode()] for name, value in event.kafka_headers()],
                "payload": event.body(),
            }
        )
    await session.execute(insert(outbox_message), rows)
