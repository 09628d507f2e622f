"""Outbox relay: publishes committed outbox rows to Kafka, in id order, and marks them published.

- One active relay per service database, held by a PostgreSQL advisory lock; standbys wait.
- Woken by LISTEN/NOTIFY on insert, with a polling fallback in case a notification is missed.
- ``acks=all``; a batch is marked published only after every send in it was acknowledged, so a crash
  between send and mark gives a duplicate (consumers dedupe), never a loss.
- On a failure a retry can cure (broker away, timeouts, leader moves) the producer is thrown away and
  the same rows are retried with backoff.
- A row the broker refuses for good (too large, invalid topic …) is **parked**: set aside with its
  reason, counted and logged as an error. Later rows of the same key wait behind it, so per-key order
  holds; every other key keeps flowing. ``python -m sme_<service> outbox resend`` releases it.
- The outbox is the durable log, the broker a transport. Each relay keeps an epoch topic of its own
  on the broker (``_sme.relay-epoch.<service>``) and checks it at start, after every failure and
  every ``broker_check_interval_s``. If it is gone, the broker has lost its log (Tansu with memory
  storage after a restart): every row published so far is queued again, keeping its feed position,
  and consumers' inboxes make the repeats harmless (docs/adr/0009-republish-after-broker-loss.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import (
    InvalidTimestampError,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)
from sqlalchemy import exists, select, text, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.db.engine import Database, to_sync_url
from sme_common.events.tables import OUTBOX_CHANNEL, outbox_message
from sme_common.events.topics import ensure_topics
from sme_common.observability.metrics import (
    BROKER_STATE_LOST,
    OUTBOX_PARKED,
    OUTBOX_PUBLISHED,
    OUTBOX_RELAY_FAILURES,
    OUTBOX_REPUBLISHED,
)
from sme_common.retry import Backoff, repeat_until_stopped, sleep_or_stop
from sme_common.settings import KafkaSettings

log = structlog.get_logger(__name__)

# Refusals about the record itself: sending the same bytes again gets the same answer. Everything
# else (broker unreachable, timeouts, NotLeader, unknown topic while it is being created, auth while
# an ACL is fixed) is about the broker's state and is retried.
UNSENDABLE_ERRORS: tuple[type[Exception], ...] = (
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    InvalidTopicError,
    InvalidTimestampError,
    UnsupportedForMessageFormatError,
)


def cannot_succeed_on_retry(exc: BaseException) -> bool:
    return isinstance(exc, UNSENDABLE_ERRORS)


def epoch_topic(service: str) -> str:
    """The relay's sentinel on the broker: while it exists, the broker has kept what it was sent."""
    return f"_sme.relay-epoch.{service}"


def build_producer(kafka: KafkaSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **kafka.client_options(),
        acks="all",
        enable_idempotence=kafka.enable_idempotence,
        linger_ms=5,
        max_batch_size=256 * 1024,
        max_request_size=kafka.max_request_size,
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
        self.broker_losses = 0
        self.is_leader = False

    @property
    def epoch_topic(self) -> str:
        return self.kafka.topic(epoch_topic(self.service))

    async def run(self, stop: asyncio.Event) -> None:
        """Lead and publish until ``stop`` is set; after any failure start again, with backoff."""
        await repeat_until_stopped(
            lambda: self._run_while_leader(stop),
            stop,
            backoff=Backoff(initial_s=0.5, max_s=self.max_backoff_s),
            on_retry=self._failed,
        )

    def _failed(self, exc: BaseException, retry_in_s: float) -> None:
        OUTBOX_RELAY_FAILURES.labels(self.service).inc()
        # One line per back-off step (at most one every max_backoff_s while the broker is away),
        # not one per row.
        log.warning(
            "outbox_relay_failed", service=self.service, error=repr(exc), retry_in_s=retry_in_s
        )

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
                await sleep_or_stop(stop, self.poll_interval_s)
            if stop.is_set():
                return
            self.is_leader = True
            await listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
            producer = build_producer(self.kafka)
            await producer.start()
            try:
                # At every (re)start, i.e. also after any failure: has the broker kept its log?
                await self.check_broker_epoch()
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
        loop = asyncio.get_running_loop()
        next_check = loop.time() + self.kafka.broker_check_interval_s
        while not stop.is_set():
            if loop.time() >= next_check:
                await self.check_broker_epoch()
                next_check = loop.time() + self.kafka.broker_check_interval_s
            published = await self.publish_batch(producer)
            if published == 0:
                # Wait for a NOTIFY from an insert, or poll again after the interval.
                async for _ in listener.notifies(timeout=self.poll_interval_s, stop_after=1):
                    pass

    async def check_broker_epoch(self) -> bool:
        """Ensure the topics and the epoch topic exist; if the epoch topic was gone, queue every
        published row again. Returns whether rows were queued again.

        The rows are marked unpublished *before* the epoch topic is created: a crash in between
        finds the topic still missing next time and does it again, never the other way round.
        """
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.kafka.bootstrap_servers,
            request_timeout_ms=self.kafka.request_timeout_ms,
        )
        await admin.start()
        try:
            existing = set(await admin.list_topics())
        finally:
            await admin.close()
        if self.epoch_topic in existing:
            # The broker kept its log; a topic this release produces for the first time is new.
            if any(self.kafka.topic(name) not in existing for name in self.topics):
                await ensure_topics(self.kafka, self.topics)
            return False
        requeued = await self.requeue_published()
        await ensure_topics(self.kafka, [*self.topics, epoch_topic(self.service)])
        await self._write_epoch_record()
        if requeued:
            self.broker_losses += 1
            BROKER_STATE_LOST.labels(self.service).inc()
            OUTBOX_REPUBLISHED.labels(self.service).inc(requeued)
            log.error(
                "broker_lost_its_log_republishing",
                service=self.service,
                epoch_topic=self.epoch_topic,
                rows=requeued,
                why="the relay's epoch topic is gone: the broker restarted without its storage; "
                "consumers may not have read what it held, so the outbox sends it again",
            )
        else:
            log.info("relay_epoch_started", service=self.service, epoch_topic=self.epoch_topic)
        return requeued > 0

    async def _write_epoch_record(self) -> None:
        """One record saying when this epoch began (for whoever inspects the broker).

        Sent by a producer of its own: a producer that once sent to a topic keeps asking the broker
        for its metadata, and a broker that auto-creates topics (Tansu does) would then bring the
        epoch topic back, empty, right after losing it — and the loss would go unnoticed.
        """
        record = {"service": self.service, "started_at": datetime.now(UTC).isoformat()}
        producer = build_producer(self.kafka)
        await producer.start()
        try:
            await producer.send_and_wait(self.epoch_topic, json.dumps(record).encode())
        finally:
            await producer.stop()

    async def requeue_published(self) -> int:
        """Mark every published row unpublished again; feed positions stay (the change feed reads
        them, and ``_mark_published`` never renumbers a row that has one)."""
        async with self.database.sessionmaker() as session:
            result = await session.execute(
                update(outbox_message)
                .where(outbox_message.c.published_at.is_not(None))
                .values(published_at=None)
            )
            await session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def publish_batch(self, producer: AIOKafkaProducer) -> int:
        """Send the next rows that may go (unpublished, not parked, no parked row earlier in their
        key); returns how many were published or parked."""
        parked = outbox_message.alias("parked")
        async with self.database.sessionmaker() as session:
            rows: Sequence[Row[Any]] = (
                await session.execute(
                    select(outbox_message)
                    .where(
                        outbox_message.c.published_at.is_(None),
                        outbox_message.c.parked_at.is_(None),
                        ~exists().where(
                            parked.c.parked_at.is_not(None),
                            parked.c.key == outbox_message.c.key,
                            parked.c.id < outbox_message.c.id,
                        ),
                    )
                    .order_by(outbox_message.c.id)
                    .limit(self.batch_size)
                    .with_for_update(of=outbox_message, skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            try:
                delivered, refused = await self._send(producer, rows)
            except Exception as exc:
                await session.rollback()
                await self._record_failure(rows[0].id, exc)
                raise
            if refused:
                await self._park(session, refused)
            if delivered:
                await self._mark_published(session, delivered)
            await session.commit()
        OUTBOX_PUBLISHED.labels(self.service).inc(len(delivered))
        self.published_total += len(delivered)
        return len(delivered) + len(refused)

    async def _send(
        self, producer: AIOKafkaProducer, rows: Sequence[Row[Any]]
    ) -> tuple[list[int], dict[int, BaseException]]:
        """Send ``rows``; return the ids acknowledged and the rows refused for good (by id).

        A refused row blocks the rest of its key in this batch too: they are not sent, and wait.
        """
        refused: dict[int, BaseException] = {}
        blocked: set[str] = set()
        in_flight: list[tuple[Row[Any], asyncio.Future[Any]]] = []
        for row in rows:
            if row.key in blocked:
                continue
            try:
                in_flight.append((row, await self._send_row(producer, row)))
            except Exception as exc:
                if not cannot_succeed_on_retry(exc):
                    raise
                refused[row.id] = exc
                if row.key is not None:
                    blocked.add(row.key)
        results = await asyncio.wait_for(
            asyncio.gather(*(future for _, future in in_flight), return_exceptions=True),
            timeout=self.kafka.request_timeout_ms / 1000 + 5,
        )
        delivered: list[int] = []
        refused_by_broker: list[Row[Any]] = []
        for (row, _), result in zip(in_flight, results, strict=True):
            if not isinstance(result, BaseException):
                delivered.append(row.id)
            elif cannot_succeed_on_retry(result):
                refused_by_broker.append(row)
            else:
                raise result
        # The broker refuses a whole partition batch for one bad record: send each refused row
        # alone, so that only the guilty one is parked.
        for row in refused_by_broker:
            if row.key in blocked:
                continue
            try:
                await (await self._send_row(producer, row))
            except Exception as exc:
                if not cannot_succeed_on_retry(exc):
                    raise
                refused[row.id] = exc
                if row.key is not None:
                    blocked.add(row.key)
            else:
                delivered.append(row.id)
        return delivered, refused

    async def _send_row(self, producer: AIOKafkaProducer, row: Row[Any]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = await producer.send(
            self.kafka.topic(row.topic),
            value=row.payload,
            key=row.key.encode() if row.key is not None else None,
            headers=[(name, value.encode()) for name, value in row.headers],
        )
        return future

    async def _park(self, session: AsyncSession, refused: dict[int, BaseException]) -> None:
        for row_id, exc in refused.items():
            reason = f"{type(exc).__name__}: {exc}"[:2000]
            await session.execute(
                update(outbox_message)
                .where(outbox_message.c.id == row_id)
                .values(
                    parked_at=text("now()"),
                    park_reason=reason,
                    last_error=repr(exc)[:2000],
                    attempts=outbox_message.c.attempts + 1,
                )
            )
            OUTBOX_PARKED.labels(self.service).inc()
            log.error(
                "outbox_row_parked",
                service=self.service,
                outbox_id=row_id,
                reason=reason,
                action=f"later events of its key wait; fix the cause, then run "
                f"`python -m sme_{self.service.replace('-', '_')} outbox resend --id {row_id}`",
            )

    async def _mark_published(self, session: AsyncSession, ids: list[int]) -> None:
        # Feed positions in id order, drawn only here, by the one active relay (see
        # ``add_outbox_feed_position_v2``). A row published again after a broker loss keeps the
        # position it had: change-feed cursors stay valid.
        await session.execute(
            text(
                """
                UPDATE outbox_message AS o
                SET feed_position = n.position
                FROM (
                    SELECT id, nextval('outbox_feed_position_seq') AS position
                    FROM (
                        SELECT id FROM outbox_message
                        WHERE id = ANY(:ids) AND feed_position IS NULL ORDER BY id
                    ) AS s
                ) AS n
                WHERE o.id = n.id
                """
            ),
            {"ids": ids},
        )
        await session.execute(
            update(outbox_message)
            .where(outbox_message.c.id.in_(ids))
            .values(published_at=text("now()"), attempts=outbox_message.c.attempts + 1)
        )

    async def _record_failure(self, row_id: int, exc: BaseException) -> None:
        async with self.database.sessionmaker() as session:
            await session.execute(
                update(outbox_message)
                .where(outbox_message.c.id == row_id)
                .values(attempts=outbox_message.c.attempts + 1, last_error=repr(exc)[:2000])
            )
            await session.commit()
