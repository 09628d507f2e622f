"""Transactional outbox: events are rows written in the same transaction as the change they report.

Also the operator's view of parked rows (``python -m sme_<service> outbox parked|resend``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from sme_common.db.engine import Database
from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import validate_event_data
from sme_common.events.tables import OUTBOX_CHANNEL, outbox_message


async def write_outbox_rows(
    session: AsyncSession,
    events: Sequence[tuple[str, CloudEvent]],
    *,
    public_base_url: str | None = None,
) -> None:
    """Insert the events, in order, after validating each against its JSON Schema.

    The caller has already written (and so locked) the aggregate row, which keeps outbox ids of one
    aggregate in commit order (engineering-notes B1). ``public_base_url`` makes each event's
    ``dataschema`` absolute (envelope.py).
    """
    rows = []
    for topic, event in events:
        validate_event_data(event.type, event.data)
        rows.append(outbox_row(topic, event.with_public_base_url(public_base_url)))
    await session.execute(insert(outbox_message), rows)


def outbox_row(topic: str, event: CloudEvent) -> dict[str, Any]:
    """The ``outbox_message`` columns of one event (headers as ``[name, value]`` pairs)."""
    return {
        "event_id": event.id,
        "topic": topic,
        "key": event.key,
        "event_type": event.type,
        "headers": [[name, value.decode()] for name, value in event.kafka_headers()],
        "payload": event.body(),
    }


@dataclass(frozen=True)
class ParkedRow:
    id: int
    event_id: str
    event_type: str
    topic: str
    key: str | None
    size_bytes: int
    parked_at: datetime
    park_reason: str
    held_behind: int  # later rows of the same key waiting for this one

    def as_json(self) -> dict[str, object]:
        return {**asdict(self), "parked_at": self.parked_at.isoformat()}


async def parked_rows(database: Database) -> list[ParkedRow]:
    """The rows the relay set aside, oldest first, with how many rows of their key wait behind."""
    held = outbox_message.alias("held")
    held_behind = (
        select(func.count())
        .where(
            held.c.key == outbox_message.c.key,
            held.c.id > outbox_message.c.id,
            held.c.published_at.is_(None),
            held.c.parked_at.is_(None),
        )
        .scalar_subquery()
    )
    async with database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    outbox_message.c.id,
                    outbox_message.c.event_id,
                    outbox_message.c.event_type,
                    outbox_message.c.topic,
                    outbox_message.c.key,
                    func.length(outbox_message.c.payload).label("size_bytes"),
                    outbox_message.c.parked_at,
                    outbox_message.c.park_reason,
                    held_behind.label("held_behind"),
                )
                .where(outbox_message.c.parked_at.is_not(None))
                .order_by(outbox_message.c.id)
            )
        ).all()
    return [ParkedRow(**row._mapping) for row in rows]


async def release_parked_rows(database: Database, ids: Sequence[int] | None) -> list[int]:
    """Hand parked rows (all of them when ``ids`` is None) back to the relay, which sends them, in
    id order, before the rows of their key that waited. Returns the ids released."""
    condition: ColumnElement[bool] = outbox_message.c.parked_at.is_not(None)
    if ids is not None:
        condition = and_(condition, outbox_message.c.id.in_(ids))
    async with database.sessionmaker() as session:
        released = (
            await session.execute(
                update(outbox_message)
                .where(condition)
                .values(parked_at=None, park_reason=None)
                .returning(outbox_message.c.id)
            )
        ).scalars()
        released_ids = sorted(released)
        # Wake the relay now rather than at its next poll.
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": OUTBOX_CHANNEL})
        await session.commit()
    return released_ids


async def outbox_status(database: Database, ids: Sequence[int]) -> dict[int, str]:
    """``published``, ``parked`` or ``pending`` for each id."""
    async with database.sessionmaker() as session:
        rows = (
            await session.execute(
                select(
                    outbox_message.c.id,
                    outbox_message.c.published_at,
                    outbox_message.c.parked_at,
                ).where(outbox_message.c.id.in_(ids))
            )
        ).all()
    return {
        row.id: "published"
        if row.published_at is not None
        else "parked"
        if row.parked_at is not None
        else "pending"
        for row in rows
    }
