"""Outbox relay: publishes committed outbox rows to Kafka, in id order, and marks them published.

- One active relay per service database, held by a PostgreSQL advisory lock; standbys wait.
- Woken by LISTEN/NOTIFY on insert, with a polling fallback in case a notification is missed.
- ``acks=all``; a batch is marked published only after every send in it was acknowledged, so a crash
  between send and mark gives a duplicate (consumers dedupe), never a loss.
- On any failure the producer is thrown away, the topics are ensured again (a restarted Tansu has
  forgotten them) and the same rows are retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Sequence
from typing import Any

import psycopg
import structlog
from aiokafka import AIOKafkaProducer
from sqlalchemy import select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.db.engine import Database, to_sync_url
from sme_common.events.tables import OUTBOX_CHANNEL, outbox_message
from sme_common.events.topics import ensure_topics
from sme_common.observability.metrics import OUTBOX_PUBLISHED, OUTBOX_RELAY_FAILURES
from sme_common.settings import KafkaSettings

log = structlog.get_logger(__name__)


def build_producer(kafka: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **kafka.client_options(),
        acks="all",
        enable_idempotence=kafka.enable_idempotence,
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=kafka.request_timeout_ms,
    )


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        database: Database,
        kafka: KafkaSettings,
        topics: Sequence[str],
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.service = service
        self.database = database
        self.kafka = kafka
        self.topics = list(topics)
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.max_backoff_s = max_backoff_s
        self._lock_key = zlib.crc32(f"outbox-relay:{service}".encode())
        self.published_total = 0
        self.is_leader = False

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._run_while_leader(stop)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                OUTBOX_RELAY_FAILURES.labels(self.service).inc()
                log.warning("outbox_relay_failed", service=self.service, error=repr(exc))
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    async def _run_while_leader(self, stop: asyncio.Event) -> None:
        url = to_sync_url(self.database.url)
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as listener:
            while not stop.is_set():
                cursor = await listener.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._lock_key,)
                )
                row = await cursor.fetchone()
                if row and row[0]:
                    break
                await _sleep_or_stop(stop, self.poll_interval_s)
            if stop.is_set():
                return
            self.is_leader = True
            await listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            await ensure_topics(self.kafka, self.topics)
            producer = build_producer(self.kafka)
            await producer.start()
            try:
                await self._publish_loop(stop, listener, producer)
            finally:
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await producer.stop()

    async def _publish_loop(
        self,
        stop: asyncio.Event,
        listener: psycopg.AsyncConnection[Any],
        producer: AIOKafkaProducer,
    ) -> None:
        while not stop.is_set():
            published = await self.publish_batch(producer)
            if published == 0:
                # Wait for a NOTIFY from an insert, or poll again after the interval.
                async for _ in listener.notifies(timeout=self.poll_interval_s, stop_after=1):
                    pass

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        async with self.database.sessionmaker() as session:
            rows: Sequence[Row[Any]] = (
                await session.execute(
                    select(outbox_message)
                    .where(outbox_message.c.published_at.is_(None))
                    .order_by(outbox_message.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            try:
                futures = [
                    await producer.send(
                        self.kafka.topic(row.topic),
                        value=row.payload,
                        key=row.key.encode() if row.key is not None else None,
                        headers=[(name, value.encode()) for name, value in row.headers],
                    )
                    for row in rows
                ]
                await asyncio.wait_for(
                    asyncio.gather(*futures), timeout=self.kafka.request_timeout_ms / 1000 + 5
                )
            except Exception as exc:
                await session.rollback()
                await self._record_failure(rows[0].id, exc)
                raise
            await self._mark_published(session, [row.id for row in rows])
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        self.published_total += len(rows)
        return len(rows)

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        # Feed positions in id order, drawn only here, by the one active relay (see
        # ``add_outbox_feed_position_v2``).
        await session.execute(
            text(
                """
                UPDATE outbox_message AS o
                SET published_at = now(), attempts = o.attempts + 1, feed_position = n.position
                FROM (
                    SELECT id, nextval('outbox_feed_position_seq') AS position
                    FROM (SELECT id FROM outbox_message WHERE id = ANY(:ids) ORDER BY id) AS s
                ) AS n
                WHERE o.id = n.id
                """
            ),
            {"ids": ids},
        )
        await session.commit()

    async def _record_failure(self, row_id: int, exc: BaseException) -> None:
        async with self.database.sessionmaker() as session:
            await session.execute(
                update(outbox_message)
                .where(outbox_message.c.id == row_id)
                .values(attempts=outbox_message.c.attempts + 1, last_error=repr(exc)[:2000])
            )
            await session.commit()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
