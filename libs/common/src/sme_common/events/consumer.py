"""Idempotent consumer runner, applying events in batches.

For the records of one partition returned by one poll, in partition order:
1. read each CloudEvent (unreadable → dead letter) and accept it only from the service that owns its
   type: the first segment of the type must name the service that owns the topic it arrived on and
   the service its ``source`` names (``/sme/<service>``); anything else is dead-lettered and counted
   (``sme_consumer_untrusted_events_total``). The broker's ACLs make the topic trustworthy in
   production (docker-compose.yml); this check keeps a forged event off the read models anyway;
2. pick the handler by type (types the consumer does not handle are skipped; a handled family with an
   unknown major version → dead letter); validate the data against its JSON Schema (→ dead letter);
3. in one transaction for the batch: insert (consumer, event id) of every event into the inbox in one
   statement — the ids already there come back missing from ``RETURNING`` and are duplicates — then
   run the handlers for the new ones (the spec's batch handler if it has one), then commit;
4. only after the database commit, commit the Kafka offset.

Transient failures (database or broker unreachable) are retried with backoff for as long as it takes:
an outage is never dead-lettered. Anything else is permanent: the batch is applied again one event
per transaction, so that only the event that cannot be applied goes to the consumer's dead-letter
topic (the error in its headers), and the consumer moves on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from sqlalchemy import Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert

from sme_common.audit.context import Actor, acting_as
from sme_common.db.engine import Database, is_transient_failure
from sme_common.db.uow import UnitOfWork
from sme_common.events.envelope import CloudEvent, EnvelopeError, split_version
from sme_common.events.relay import build_producer
from sme_common.events.schemas import EventSchemaError, known_event_types, validate_event_data
from sme_common.events.tables import inbox_message
from sme_common.events.topics import dead_letter_topic, ensure_topics
from sme_common.observability.metrics import CONSUMER_EVENTS, CONSUMER_UNTRUSTED_EVENTS
from sme_common.observability.tracing import continue_trace, request_id_var, traceparent_var
from sme_common.progress import CommandProgress
from sme_common.retry import Backoff, repeat_until_stopped, retry_until_done
from sme_common.settings import KafkaSettings, ServiceSettings

log = structlog.get_logger(__name__)

Handler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]
BatchHandler = Callable[[UnitOfWork, Sequence[CloudEvent]], Awaitable[None]]
T = TypeVar("T")

# Producers set ``source`` to ``/sme/<service>`` (e.g. sme_registry.enterprises.events.SOURCE).
SOURCE_PREFIX = "/sme/"
MAX_BATCH = 1000


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    DEAD_LETTERED = "dead_lettered"


class PermanentEventError(Exception):
    """Raised by a handler for an event it can never apply (it is dead-lettered, not retried)."""


class UntrustedEventError(PermanentEventError):
    """An event that did not come from the service owning its type: never applied."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def owner_of(name: str) -> str:
    """The service owning an event type or a topic: its first segment (``registry.enterprise``)."""
    return name.split(".", 1)[0]


def check_origin(event: CloudEvent, topic: str | None) -> None:
    """Refuse an event whose source, or whose topic (when known), is not the owner of its type."""
    _check_origin(event.type, event.source, topic)


def _check_origin(event_type: str, source: str | None, topic: str | None) -> None:
    owner = owner_of(event_type)
    expected = f"{SOURCE_PREFIX}{owner}"
    if source != expected:
        raise UntrustedEventError(
            "source_not_owner",
            f"{event_type} is accepted only from source {expected}, not {source!r}",
        )
    if topic is not None and owner_of(topic) != owner:
        raise UntrustedEventError(
            "topic_not_owner",
            f"{event_type} belongs on a topic of {owner}, not on {topic!r} "
            f"(owned by {owner_of(topic)})",
        )


@dataclass(frozen=True)
class ConsumerSpec:
    """What a service declares: a consumer name (also its group), its topics and its handlers."""

    name: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]
    # Applies several new events (of types in ``handlers``, in partition order) with set-based
    # statements; it must leave the same state as the handlers applied one by one.
    batch_handler: BatchHandler | None = None
    # CLI command that re-reads the topics from the beginning into this consumer (runtime.py).
    rebuild_command: str | None = None


def _unnest(name: str) -> Any:
    return func.unnest(cast(bindparam(name, type_=ARRAY(Text)), ARRAY(Text)))


# One statement for any batch size (arrays, not one VALUES row per event): compiled once, and the
# ids already in the inbox are the ones missing from RETURNING.
_INBOX_INSERT = (
    pg_insert(inbox_message)
    .from_select(
        ["consumer", "event_id", "event_type", "source"],
        select(
            cast(bindparam("consumer"), Text),
            _unnest("event_ids"),
            _unnest("event_types"),
            _unnest("sources"),
        ),
    )
    .on_conflict_do_nothing()
    .returning(inbox_message.c.event_id)
)


@dataclass(frozen=True)
class _Ready:
    record: ConsumerRecord[bytes, bytes] | None
    event: CloudEvent
    handler: Handler


class ConsumerRunner:
    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        database: Database,
        kafka: KafkaSettings,
        max_backoff_s: float = 10.0,
        max_batch: int = MAX_BATCH,
        batched: bool = True,
    ) -> None:
        self.spec = spec
        self.database = database
        self.kafka = kafka
        self.max_backoff_s = max_backoff_s
        self.max_batch = max_batch
        # False applies one event per transaction (the behaviour before batching; bench/ compares).
        self.batched = batched
        self._families = {split_version(t)[0] for t in spec.handlers}
        self._with_schema = known_event_types()
        # Looked up once: ``labels()`` on every event cost more than the rest of skipping it.
        self._counted = {o: CONSUMER_EVENTS.labels(spec.name, o) for o in Outcome}
        self._producer: AIOKafkaProducer | None = None

    @property
    def group_id(self) -> str:
        return self.kafka.topic(self.spec.name)

    @property
    def dead_letter_topic(self) -> str:
        return self.kafka.topic(dead_letter_topic(self.spec.name))

    def build_consumer(self, topics: Sequence[str], group_id: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            **self.kafka.client_options(),
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self.kafka.session_timeout_ms,
            heartbeat_interval_ms=self.kafka.heartbeat_interval_ms,
            request_timeout_ms=max(
                self.kafka.request_timeout_ms, self.kafka.session_timeout_ms + 1
            ),
            max_poll_records=self.max_batch,
            # A record as large as the producers may send (a parked row re-sent after raising
            # KAFKA__MAX_REQUEST_SIZE) must fit in one fetch.
            max_partition_fetch_bytes=max(1_048_576, self.kafka.max_request_size),
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; after any failure start again, with backoff."""

        def failed(exc: BaseException, retry_in_s: float) -> None:
            log.warning(
                "consumer_failed", consumer=self.spec.name, error=repr(exc), retry_in_s=retry_in_s
            )

        await repeat_until_stopped(
            lambda: self._consume(stop),
            stop,
            backoff=Backoff(initial_s=0.5, max_s=self.max_backoff_s),
            on_retry=failed,
        )

    async def _consume(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.kafka, [*self.spec.topics, dead_letter_topic(self.spec.name)])
        consumer = self.build_consumer(
            [self.kafka.topic(t) for t in self.spec.topics], self.group_id
        )
        await consumer.start()
        try:
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self.max_batch)
                for tp, records in batches.items():
                    if stop.is_set():
                        break
                    await self.process_batch(records, stop)
                    # After the database commits, never before: a crash in between only means
                    # the records come again, and the inbox recognises them.
                    await _commit(consumer, tp, records[-1].offset + 1)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            await self._stop_producer()

    async def process_batch(
        self, records: Sequence[ConsumerRecord[bytes, bytes]], stop: asyncio.Event
    ) -> list[Outcome]:
        """Apply one partition's records (in order); one outcome per record."""
        outcomes: list[Outcome | None] = [None] * len(records)
        ready: list[tuple[int, _Ready]] = []
        for position, record in enumerate(records):
            try:
                item = self._prepare(record)
            except Exception as exc:
                outcomes[position] = await self._dead_letter(record, exc)
                continue
            if item is None:
                self._counted[Outcome.SKIPPED].inc()
                outcomes[position] = Outcome.SKIPPED
            else:
                ready.append((position, item))
        if len(ready) > 1 and self.batched:
            items = [item for _, item in ready]
            try:
                applied = await self._until_done(
                    lambda: self._apply_in_transaction(items, use_batch_handler=True), stop
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_transient_failure(exc):
                    raise  # only when stopping: the offsets stay where they were
                log.warning(
                    "consumer_batch_failed_applying_one_by_one",
                    consumer=self.spec.name,
                    events=len(items),
                    error=repr(exc),
                )
            else:
                for (position, _), outcome in zip(ready, applied, strict=True):
                    outcomes[position] = outcome
                    self._counted[outcome].inc()
                ready = []
        for position, item in ready:
            outcomes[position] = await self._apply_one_or_dead_letter(item, stop)
        return [outcome or Outcome.SKIPPED for outcome in outcomes]

    def _prepare(self, record: ConsumerRecord[bytes, bytes]) -> _Ready | None:
        """Read, authenticate, route and validate a record; raises for a permanent failure."""
        topic = self._logical_topic(record.topic)
        event_type = _header(record, "ce_type")
        if event_type is not None and not self._may_handle(event_type):
            # Not for this consumer: skipped on its headers alone, without reading the body
            # (two events in three on registry.enterprise), but a forgery is still refused.
            _check_origin(event_type, _header(record, "ce_source"), topic)
            return None
        event = CloudEvent.from_kafka(record.headers, record.value)
        check_origin(event, topic)
        handler = self.spec.handlers.get(event.type)
        if handler is None:
            raise PermanentEventError(f"unsupported version of {event.type}")
        if event.type in self._with_schema:
            validate_event_data(event.type, event.data)
        return _Ready(record, event, handler)

    def _may_handle(self, event_type: str) -> bool:
        """A handled type, or another version of a handled family (which is dead-lettered)."""
        if event_type in self.spec.handlers:
            return True
        family, _, version = event_type.rpartition(".v")
        # An unreadable type goes the long way, where the envelope check dead-letters it.
        return not version.isdigit() or family in self._families

    def _logical_topic(self, topic: str) -> str:
        return topic.removeprefix(self.kafka.topic_prefix)

    async def _apply_one_or_dead_letter(self, item: _Ready, stop: asyncio.Event) -> Outcome:
        try:
            (outcome,) = await self._until_done(
                lambda: self._apply_in_transaction([item], use_batch_handler=False), stop
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_transient_failure(exc) or item.record is None:
                raise
            return await self._dead_letter(item.record, exc)
        self._counted[outcome].inc()
        return outcome

    async def _until_done(self, attempt: Callable[[], Awaitable[T]], stop: asyncio.Event) -> T:
        """Retry transient failures (database or broker away) with backoff until they pass, or the
        runner stops; anything else, a poison event among them, is raised at once."""

        def transient(exc: BaseException, retry_in_s: float) -> None:
            log.warning(
                "consumer_transient_error",
                consumer=self.spec.name,
                error=repr(exc),
                retry_in_s=retry_in_s,
            )

        return await retry_until_done(
            attempt,
            stop,
            retry_if=is_transient_failure,
            backoff=Backoff(initial_s=0.2, max_s=self.max_backoff_s),
            on_retry=transient,
        )

    async def apply(self, event: CloudEvent, handler: Handler) -> Outcome:
        """Validate and apply one event exactly once (the inbox row and the effect commit together)."""
        check_origin(event, None)
        if event.type in self._with_schema:
            validate_event_data(event.type, event.data)
        (outcome,) = await self._apply_in_transaction(
            [_Ready(None, event, handler)], use_batch_handler=False
        )
        return outcome

    async def _apply_in_transaction(
        self, items: Sequence[_Ready], *, use_batch_handler: bool
    ) -> list[Outcome]:
        # The audit's actor is the producing service (one per batch: the origin check has tied
        # every event of a topic to its owner); one event alone also gives the audit its request
        # id (the event's correlation id), which a batch of many cannot have.
        single = _event_context(items[0].event) if len(items) == 1 else contextlib.nullcontext()
        with acting_as(Actor.service(items[0].event.source)), single:
            return await self._apply_and_commit(items, use_batch_handler=use_batch_handler)

    async def _apply_and_commit(
        self, items: Sequence[_Ready], *, use_batch_handler: bool
    ) -> list[Outcome]:
        async with UnitOfWork(self.database) as uow:
            inserted = set(
                (
                    await uow.session.execute(
                        _INBOX_INSERT,
                        {
                            "consumer": self.spec.name,
                            "event_ids": [item.event.id for item in items],
                            "event_types": [item.event.type for item in items],
                            "sources": [item.event.source for item in items],
                        },
                    )
                ).scalars()
            )
            outcomes: list[Outcome] = []
            new: list[_Ready] = []
            for item in items:
                if item.event.id in inserted:
                    # A second copy of the same event in this batch is a duplicate of the first.
                    inserted.discard(item.event.id)
                    new.append(item)
                    outcomes.append(Outcome.APPLIED)
                else:
                    outcomes.append(Outcome.DUPLICATE)
            if not new:
                return outcomes
            batch_handler = self.spec.batch_handler if use_batch_handler else None
            if batch_handler is not None:
                await batch_handler(uow, [item.event for item in new])
            else:
                for item in new:
                    with _event_context(item.event):
                        await item.handler(uow, item.event)
            await uow.commit()
        return outcomes

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], exc: BaseException
    ) -> Outcome:
        reason = _dead_letter_reason(exc)
        headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("x-")]
        headers += [
            ("x-original-topic", record.topic.encode()),
            ("x-original-partition", str(record.partition).encode()),
            ("x-original-offset", str(record.offset).encode()),
            ("x-consumer-group", self.group_id.encode()),
            ("x-dead-letter-reason", reason.encode()),
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
            reason=reason,
            error=repr(exc),
        )
        if isinstance(exc, UntrustedEventError):
            CONSUMER_UNTRUSTED_EVENTS.labels(self.spec.name, exc.reason).inc()
        self._counted[Outcome.DEAD_LETTERED].inc()
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

    async def replay_dead_letters(
        self,
        *,
        idle_s: float = 3.0,
        progress: Callable[[ReplayReport, int], None] | None = None,
    ) -> ReplayReport:
        """Feed the dead-letter topic through the consumer again (after the cause was fixed).

        A record that fails again stays where it is: replay stops there and reports it, and its
        offset is not committed, so the next replay starts from it. ``progress`` is told after
        every record, with the number of records known to be left.
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
                left = sum(len(records) for records in batches.values())
                left += await _behind(consumer, sorted(consumer.assignment()))
                for tp, records in batches.items():
                    for record in records:
                        try:
                            event = CloudEvent.from_kafka(record.headers, record.value)
                            # Where the dead letter first arrived decides whom it came from.
                            check_origin(event, self._logical_topic(_original_topic(record)))
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
                        left -= 1
                        if progress is not None:
                            progress(report, left)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
        return report

    async def rebuild(
        self,
        stop: asyncio.Event,
        *,
        progress: Callable[[RebuildReport], None] | None = None,
        progress_every_s: float = 2.0,
        idle_s: float = 15.0,
    ) -> RebuildReport:
        """Re-read the topics from the beginning, without a consumer group (the service's own
        group keeps its offsets), applying every record with the same handlers: the inbox skips
        what was applied already, the version guards keep the newest state. Ends when every
        partition is read up to its high watermark (as the fetches report it: Tansu's
        ``end_offsets`` undercounts, kafka-broker.md)."""
        report = RebuildReport()
        await ensure_topics(self.kafka, [*self.spec.topics, dead_letter_topic(self.spec.name)])
        consumer = self.build_consumer([], None)
        await consumer.start()
        loop = asyncio.get_running_loop()
        try:
            await consumer.topics()  # loads the metadata of every topic
            partitions = [
                TopicPartition(self.kafka.topic(topic), partition)
                for topic in self.spec.topics
                for partition in sorted(
                    consumer.partitions_for_topic(self.kafka.topic(topic)) or ()
                )
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            started = last_report = idle_since = loop.time()
            while not stop.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=self.max_batch)
                now = loop.time()
                if batches:
                    idle_since = now
                for records in batches.values():
                    for outcome in await self.process_batch(records, stop):
                        report.count(outcome)
                report.records_total = sum(consumer.highwater(tp) or 0 for tp in partitions)
                report.elapsed_s = round(now - started, 1)
                if await _read_to_end(consumer, partitions):
                    report.caught_up = True
                    break
                if now - idle_since > idle_s:
                    break
                if progress is not None and now - last_report >= progress_every_s:
                    last_report = now
                    progress(report)
            report.elapsed_s = round(loop.time() - started, 1)
        finally:
            with contextlib.suppress(Exception):
                await consumer.stop()
            await self._stop_producer()
        return report


@dataclass
class ReplayReport:
    applied: int = 0
    duplicates: int = 0
    failed_offset: int | None = None
    error: str | None = None

    @property
    def replayed(self) -> int:
        return self.applied + self.duplicates

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.APPLIED:
            self.applied += 1
        elif outcome is Outcome.DUPLICATE:
            self.duplicates += 1


@dataclass
class RebuildReport:
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    records_total: int = 0
    elapsed_s: float = 0.0
    caught_up: bool = False

    def count(self, outcome: Outcome) -> None:
        self.read += 1
        if outcome is Outcome.APPLIED:
            self.applied += 1
        elif outcome is Outcome.DUPLICATE:
            self.duplicates += 1
        elif outcome is Outcome.SKIPPED:
            self.skipped += 1
        else:
            self.dead_lettered += 1

    def line(self, name: str) -> str:
        total = f"/{self.records_total:,}" if self.records_total else ""
        rate = self.read / self.elapsed_s if self.elapsed_s else 0.0
        return (
            f"{name}: read {self.read:,}{total} records in {self.elapsed_s:.0f}s ({rate:,.0f}/s): "
            f"{self.applied:,} applied, {self.duplicates:,} already there, "
            f"{self.skipped:,} not for this consumer, {self.dead_lettered:,} dead-lettered"
        )


def rebuild_command(spec: ConsumerSpec, settings: ServiceSettings) -> int:
    """``python -m sme_<service> <spec.rebuild_command>``: progress on stderr (a bar on a terminal,
    a plain line every 2 s otherwise), a JSON report on stdout; exit status 0 only if every
    partition was read to its end and nothing failed."""

    async def main(progress: CommandProgress) -> RebuildReport:
        database = Database.from_url(settings.database_url.get_secret_value())
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        runner = ConsumerRunner(spec=spec, database=database, kafka=settings.kafka)

        def show(report: RebuildReport) -> None:
            progress.update(
                report.read,
                report.records_total or None,
                note=f"{report.applied:,} applied",
                line=report.line(spec.name),
            )

        try:
            return await runner.rebuild(stop, progress=show, progress_every_s=0.2)
        finally:
            await database.dispose()

    with CommandProgress(spec.name, unit="records", plain_every_s=2.0) as progress:
        report = asyncio.run(main(progress))
    _say(report.line(spec.name))
    sys.stdout.write(json.dumps(asdict(report)) + "\n")
    return 0 if report.caught_up and report.dead_lettered == 0 else 1


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name:
            try:
                return bytes(value).decode()
            except UnicodeDecodeError:
                return None
    return None


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _original_topic(record: ConsumerRecord[bytes, bytes]) -> str:
    for name, value in record.headers or ():
        if name == "x-original-topic" and value:
            return bytes(value).decode()
    raise UntrustedEventError("no_original_topic", "dead letter without x-original-topic")


def _dead_letter_reason(exc: BaseException) -> str:
    """A stable code in the ``x-dead-letter-reason`` header, for alerts and the replay decision."""
    if isinstance(exc, UntrustedEventError):
        return exc.reason
    if isinstance(exc, EnvelopeError):
        return "unreadable_envelope"
    if isinstance(exc, EventSchemaError):
        return "schema_invalid"
    return "handler_failed"


async def _behind(consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> int:
    """Records not fetched yet, as far as the fetches so far know the high watermarks."""
    behind = 0
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is not None:
            behind += max(0, highwater - await consumer.position(tp))
    return behind


async def _read_to_end(consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition]) -> bool:
    for tp in partitions:
        highwater = consumer.highwater(tp)
        if highwater is None or await consumer.position(tp) < highwater:
            return False
    return True


@contextlib.contextmanager
def _event_context(event: CloudEvent) -> Iterator[None]:
    # Logs and any events the handler publishes continue the producer's trace.
    trace_token = traceparent_var.set(continue_trace(event.traceparent).traceparent)
    correlation_token = request_id_var.set(event.correlationid or event.id)
    try:
        yield
    finally:
        traceparent_var.reset(trace_token)
        request_id_var.reset(correlation_token)


async def _commit(consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
    try:
        await consumer.commit({tp: offset})
    except (CommitFailedError, KafkaError) as exc:
        # The group rebalanced or the broker is away: the record will be delivered again and the
        # inbox will recognise it.
        log.warning("offset_commit_failed", topic=tp.topic, partition=tp.partition, error=repr(exc))


__all__ = [
    "BatchHandler",
    "ConsumerRunner",
    "ConsumerSpec",
    "Handler",
    "Outcome",
    "PermanentEventError",
    "RebuildReport",
    "ReplayReport",
    "UntrustedEventError",
    "check_origin",
    "rebuild_command",
]
