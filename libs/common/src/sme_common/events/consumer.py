"""Idempotent consumer runner.

For each record, in partition order:
1. read the CloudEvent (unreadable → dead letter);
2. pick the handler by type (types the consumer does not handle are skipped; a handled family with an
   unknown major version → dead letter); validate the data against its JSON Schema (→ dead letter);
3. in one transaction: insert (consumer, event id) into the inbox — a duplicate stops here — then run
   the handler, which calls the same service functions the routes call, then commit;
4. only after the database commit, commit the Kafka offset.

Transient failures (database or broker unreachable) are retried with backoff for as long as it takes:
an outage is never dead-lettered. Anything else is permanent: the record goes to the consumer's
dead-letter topic with the error in its headers, and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy.dialects.postgresql import insert as pg_insert

from sme_common.audit.context import Actor, acting_as
from sme_common.db.engine import Database, is_transient_failure
from sme_common.db.uow import UnitOfWork
from sme_common.events.envelope import CloudEvent, EnvelopeError, split_version
from sme_common.events.relay import build_producer
from sme_common.events.schemas import known_event_types, validate_event_data
from sme_common.events.tables import inbox_message
from sme_common.events.topics import dead_letter_topic, ensure_topics
from sme_common.observability.metrics import CONSUMER_EVENTS
from sme_common.observability.tracing import continue_trace, request_id_var, traceparent_var
from sme_common.settings import KafkaSettings

log = structlog.get_logger(__name__)

Handler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    DEAD_LETTERED = "dead_lettered"


class PermanentEventError(Exception):
    """Raised by a handler for an event it can never apply (it is dead-lettered, not retried)."""


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service declares: a consumer name (also its group), its topics and its handlers."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]


class ConsumerRunner:
    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        database: Database,
        kafka: KafkaSettings,
        max_backoff_s: float = 10.0,
    ) -> None:
        self.spec = spec
        self.database = database
        self.kafka = kafka
        self.max_backoff_s = max_backoff_s
        self._families = {split_version(t)[0] for t in spec.handlers}
        self._producer: AIOKafkaProducer | None = None

    @property
    def group_id(self) -> str:
        return self.kafka.topic(self.spec.name)

    @property
    def dead_letter_topic(self) -> str:
        return self.kafka.topic(dead_letter_topic(self.spec.name))

    def build_consumer(self, topics: Sequence[str], group_id: str) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.kafka.bootstrap_servers,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.kafka.session_timeout_ms,
            heartbeat_interval_ms=self.kafka.heartbeat_interval_ms,
            request_timeout_ms=max(
                self.kafka.request_timeout_ms, self.kafka.session_timeout_ms + 1
            ),
            max_poll_records=200,
        )

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._consume(stop)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer_failed", consumer=self.spec.name, error=repr(exc))
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    async def _consume(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.kafka, [*self.spec.topics, dead_letter_topic(self.spec.name)])
        consumer = self.build_consumer(
            [self.kafka.topic(t) for t in self.spec.topics], self.group_id
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                for tp, records in batches.items():
                    next_offset: int | None = None
                    for record in records:
                        if stop.is_set():
                            break
                        await self.process_record(record, stop)
                        next_offset = record.offset + 1
                    if next_offset is not None:
                        # After the database commits, never before: a crash in between only means
                        # the records come again, and the inbox recognises them.
                        await _commit(consumer, tp, next_offset)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            await self._stop_producer()

    async def process_record(
        self, record: ConsumerRecord[bytes, bytes], stop: asyncio.Event
    ) -> Outcome:
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
        except EnvelopeError as exc:
            return await self._dead_letter(record, exc)
        handler = self.spec.handlers.get(event.type)
        if handler is None:
            if split_version(event.type)[0] in self._families:
                unsupported = PermanentEventError(f"unsupported version of {event.type}")
                return await self._dead_letter(record, unsupported)
            CONSUMER_EVENTS.labels(self.spec.name, Outcome.SKIPPED).inc()
            return Outcome.SKIPPED
        backoff = 0.2
        while True:
            try:
                outcome = await self.apply(event, handler)
                CONSUMER_EVENTS.labels(self.spec.name, outcome).inc()
                return outcome
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_transient_failure(exc):
                    return await self._dead_letter(record, exc)
                log.warning("consumer_transient_error", consumer=self.spec.name, error=repr(exc))
                if stop.is_set():
                    raise
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    async def apply(self, event: CloudEvent, handler: Handler) -> Outcome:
        """Validate and apply one event exactly once (the inbox row and the effect commit together)."""
        if event.type in known_event_types():
            validate_event_data(event.type, event.data)
        # Logs and any events the handler publishes continue the producer's trace.
        trace_token = traceparent_var.set(continue_trace(event.traceparent).traceparent)
        correlation_token = request_id_var.set(event.correlationid or event.id)
        try:
            with acting_as(Actor.service(event.source)):
                return await self._apply_in_transaction(event, handler)
        finally:
            traceparent_var.reset(trace_token)
            request_id_var.reset(correlation_token)

    async def _apply_in_transaction(self, event: CloudEvent, handler: Handler) -> Outcome:
        async with UnitOfWork(self.database) as uow:
            inserted = await uow.session.execute(
                pg_insert(inbox_message)
                .values(
                    consumer=self.spec.name,
                    event_id=event.id,
                    event_type=event.type,
                    source=event.source,
                )
                .on_conflict_do_nothing()
                .returning(inbox_message.c.event_id)
            )
            if inserted.first() is None:
                return Outcome.DUPLICATE
            await handler(uow, event)
            await uow.commit()
        return Outcome.APPLIED

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException
    ) -> Outcome:
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("x-")]
        headers += [
            ("x-original-topic", record.topic.encode()),
            ("x-original-partition", str(record.partition).encode()),
            ("x-original-offset", str(record.offset).encode()),
            ("x-consumer-group", self.group_id.encode()),
            ("x-exception-type", type(exc).__name__.encode()),
            ("x-exception-message", str(exc)[:2000].encode()),
            ("x-failed-at", datetime.now(UTC).isoformat().encode()),
        ]
        producer = await self._get_producer()
        await producer.send_and_wait(
            self.dead_letter_topic, value=record.value, key=record.key, headers=headers
        )
        log.error(
            "event_dead_lettered",
            consumer=self.spec.name,
            topic=record.topic,
            offset=record.offset,
            error=repr(exc),
        )
        CONSUMER_EVENTS.labels(self.spec.name, Outcome.DEAD_LETTERED).inc()
        return Outcome.DEAD_LETTERED

    async def _get_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = build_producer(self.kafka)
            await self._producer.start()
        return self._producer

    async def _stop_producer(self) -> None:
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None

    async def replay_dead_letters(self, *, idle_s: float = 3.0) -> ReplayReport:
        """Feed the dead-letter topic through the consumer again (after the cause was fixed).

        A record that fails again stays where it is: replay stops there and reports it, and its
        offset is not committed, so the next replay starts from it.
        """
        report = ReplayReport()
        consumer = self.build_consumer([self.dead_letter_topic], f"{self.group_id}.dlt-replay")
        await consumer.start()
        try:
            idle_since = asyncio.get_running_loop().time()
            while asyncio.get_running_loop().time() - idle_since < idle_s:
                batches = await consumer.getmany(timeout_ms=500, max_records=200)
                if batches:
                    idle_since = asyncio.get_running_loop().time()
                for tp, records in batches.items():
                    for record in records:
                        try:
                            event = CloudEvent.from_kafka(record.headers, record.value)
                            handler = self.spec.handlers.get(event.type)
                            if handler is None:
                                raise PermanentEventError(f"no handler for {event.type}")
                            outcome = await self.apply(event, handler)
                        except Exception as exc:
                            report.failed_offset = record.offset
                            report.error = repr(exc)
                            return report
                        report.count(outcome)
                        await _commit(consumer, tp, record.offset + 1)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
        return report


@dataclass
class ReplayReport:
    applied: int = 0
    duplicates: int = 0
    failed_offset: int | None = None
    error: str | None = None

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.APPLIED:
            self.applied += 1
        elif outcome is Outcome.DUPLICATE:
            self.duplicates += 1


async def _commit(consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
    try:
        await consumer.commit({tp: offset})
    except (CommitFailedError, KafkaError) as exc:
        # The group rebalanced or the broker is away: the record will be delivered again and the
        # inbox will recognise it.
        log.warning("offset_commit_failed", topic=tp.topic, partition=tp.partition, error=repr(exc))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


__all__ = [
    "ConsumerRunner",
    "ConsumerSpec",
    "Handler",
    "Outcome",
    "PermanentEventError",
    "ReplayReport",
]
