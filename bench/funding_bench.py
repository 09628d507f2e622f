"""Funding benchmark (issue 9, Performance): 10,000 certificate-granted events become entitlements
ready for approval (``pending_approval``) in under 30 seconds, end to end.

1. Seeding, not timed: funding's database migrated, and its enterprise directory filled with
   distinct Gansu enterprises (兰州, 天水 … each with its county) the way the service fills it:
   ``registered`` events on ``registry.enterprise`` read by funding's directory consumer.
2. ``funding.certificates`` is started through ``sme_common.events``' ``ConsumerRunner``, as the
   service runs it, and warmed with one grant (so joining the group is not counted: a running
   service has joined long before).
3. Timed: ``--events`` ``certification.certificate.granted.v1`` CloudEvents (valid contract
   models: a first provincial 专精特新 certificate each, one per enterprise) are produced to
   ``certification.certificate``; the clock stops when that many new entitlements exist. Every
   one is then checked to be ``pending_approval`` at 30万元 (甘工信发〔2023〕128号 (二)).

    .venv/bin/python bench/funding_bench.py --events 10000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiokafka import AIOKafkaProducer, ConsumerRecord  # noqa: E402

from sme_common.contracts.events.certification.models import CertificateGrantedV1  # noqa: E402
from sme_common.contracts.events.registry.models import EnterpriseRegisteredV1  # noqa: E402
from sme_common.db import Database  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, free_port  # noqa: E402
from sme_common.directory.consumers import ENTERPRISE_TOPIC, directory_consumer  # noqa: E402
from sme_common.events.consumer import ConsumerRunner, Outcome  # noqa: E402
from sme_common.events.envelope import CloudEvent  # noqa: E402
from sme_common.ids import make_uscc  # noqa: E402
from sme_common.settings import KafkaSettings  # noqa: E402
from sme_funding.entitlements.consumers import (  # noqa: E402
    CERTIFICATE_TOPIC,
    certificates_consumer,
)

TARGET_S = 30.0
LETTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# (county, 市州): Gansu places, so that the Gansu policy book applies.
PLACES = [
    ("620102", "620100"),  # 城关区, 兰州市
    ("620103", "620100"),  # 七里河区, 兰州市
    ("620502", "620500"),  # 秦州区, 天水市
    ("620702", "620700"),  # 甘州区, 张掖市
    ("621102", "621100"),  # 安定区, 定西市
]
AWARD_FEN = 30_000_000  # 30万元: GS-ZJTX-PROV-FIRST


def line(text: str = "") -> None:
    print(text, flush=True)


def uscc(serial: int, region: str) -> str:
    body = "F"
    for _ in range(7):
        serial, digit = divmod(serial, len(LETTERS))
        body += LETTERS[digit]
    return make_uscc(region=region, body=body)


def enterprises(count: int) -> list[tuple[str, str, str]]:
    """(uscc, county, 市州) of ``count`` distinct Gansu enterprises."""
    out = []
    for serial in range(count):
        region, unit = PLACES[serial % len(PLACES)]
        out.append((uscc(serial, region), region, unit))
    return out


def registered(code: str, region: str, unit: str) -> CloudEvent:
    data = EnterpriseRegisteredV1(
        uscc=code,
        name=f"甘肃示例制造有限公司{code[-6:]}",
        legal_representative="张三",
        region_code=region,
        reporting_unit_code=unit,
        industry_code="C3411",
        founded_on=date(2015, 6, 1),
        operating_status="operating",
        registered_at=datetime(2026, 1, 5, tzinfo=UTC),
        version=1,
    )
    return CloudEvent(
        type=data.event_type, source="/sme/registry", subject=code, data=data.to_event_data()
    )


def granted(code: str, serial: int) -> CloudEvent:
    data = CertificateGrantedV1.model_validate(
        {
            "certificate_id": f"cert_{serial:012x}",
            "uscc": code,
            "tier": "specialised",
            "level": "provincial",
            "certificate_number": f"GS-ZJTX-2026-{serial:06d}",
            "issued_on": date(2026, 6, 1),
            "expires_on": date(2029, 6, 1),
        }
    )
    return CloudEvent(
        type=data.event_type, source="/sme/certification", subject=code, data=data.to_event_data()
    )


async def produce(kafka: KafkaSettings, topic: str, events: Sequence[CloudEvent]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        acks="all",
        linger_ms=10,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        for event in events:
            await producer.send(
                kafka.topic(topic),
                value=event.body(),
                key=(event.subject or "").encode(),
                headers=event.kafka_headers(),
            )
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def scalar(url: str, sql: str) -> Any:
    with psycopg.connect(to_sync_url(url)) as conn:
        row = conn.execute(sql).fetchone()
    return row[0] if row else None


async def wait_until(url: str, sql: str, at_least: int, timeout_s: float) -> float:
    started = time.perf_counter()
    while True:
        if int(await asyncio.to_thread(scalar, url, sql) or 0) >= at_least:
            return time.perf_counter() - started
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"{sql!r} stayed below {at_least} for {timeout_s:.0f}s")
        await asyncio.sleep(0.05)


async def seed_directory(
    kafka: KafkaSettings, url: str, places: list[tuple[str, str, str]]
) -> float:
    """Funding's directory, filled by its own directory consumer from registry's events."""
    started = time.perf_counter()
    await produce(kafka, ENTERPRISE_TOPIC, [registered(*place) for place in places])
    database = Database.from_url(url)
    runner = ConsumerRunner(spec=directory_consumer("funding"), database=database, kafka=kafka)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await wait_until(url, "SELECT count(*) FROM enterprise_directory", len(places), 600)
    finally:
        stop.set()
        await task
        await database.dispose()
    return time.perf_counter() - started


class TimedRunner(ConsumerRunner):
    """The service's runner, unchanged, with the wall time of each partition batch noted."""

    batches: list[tuple[int, float]]

    async def process_batch(
        self, records: Sequence[ConsumerRecord[bytes, bytes]], stop: asyncio.Event
    ) -> list[Outcome]:
        started = time.perf_counter()
        outcomes = await super().process_batch(records, stop)
        self.batches.append((len(records), time.perf_counter() - started))
        return outcomes


def percentile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(args: argparse.Namespace, server: str, bootstrap: str) -> dict[str, Any]:
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=f"bench{secrets.token_hex(2)}.",
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
    )
    url = server.rsplit("/", 1)[0] + f"/bench_funding_{secrets.token_hex(3)}"
    ensure_database(url)
    upgrade("sme_funding", url)
    places = enterprises(args.events + 1)  # one more: the warm-up grant
    seconds = await seed_directory(kafka, url, places)
    line(f"directory seeded with {len(places):,} Gansu enterprises in {seconds:.1f}s (not timed)")

    events = [granted(code, serial) for serial, (code, _, _) in enumerate(places)]
    warm, timed = events[-1], events[:-1]
    count_sql = "SELECT count(*) FROM entitlement"

    database = Database.from_url(url)
    runner = TimedRunner(spec=certificates_consumer, database=database, kafka=kafka)
    runner.batches = []
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        await produce(kafka, CERTIFICATE_TOPIC, [warm])
        joined = await wait_until(url, count_sql, 1, 120)
        line(
            f"consumer funding.certificates running (group joined, warm-up applied: {joined:.1f}s)"
        )
        runner.batches.clear()
        cpu_started = time.process_time()
        started = time.perf_counter()
        producing = asyncio.create_task(produce(kafka, CERTIFICATE_TOPIC, timed))
        await wait_until(url, count_sql, 1 + len(timed), 600)
        took = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        produced_in = await producing
    finally:
        stop.set()
        await task
        await database.dispose()

    statuses = {
        row[0]: row[1]
        for row in await asyncio.to_thread(
            _rows, url, "SELECT status, count(*) FROM entitlement GROUP BY status"
        )
    }
    amounts = await asyncio.to_thread(
        scalar, url, f"SELECT count(*) FROM entitlement WHERE amount_fen <> {AWARD_FEN}"
    )
    events_out = await asyncio.to_thread(
        scalar,
        url,
        "SELECT count(*) FROM outbox_message WHERE event_type = 'funding.entitlement.created.v1'",
    )
    latencies = [seconds for _, seconds in runner.batches]
    sizes = [size for size, _ in runner.batches]
    ok = (
        took < TARGET_S
        and statuses.get("pending_approval") == 1 + len(timed)
        and len(statuses) == 1
        and amounts == 0
        and events_out == 1 + len(timed)
    )
    line(
        f"{len(timed):,} certificate-granted events → {len(timed):,} entitlements "
        f"(pending_approval, 30万元 each): {took:.2f}s end to end, "
        f"{len(timed) / took:,.0f} events/s (produced in {produced_in:.2f}s)"
    )
    line(
        f"{len(runner.batches)} partition batches of {min(sizes)}–{max(sizes)} events "
        f"(mean {statistics.mean(sizes):.0f}): per-batch latency p50 "
        f"{percentile(latencies, 50) * 1000:.0f} ms, p99 {percentile(latencies, 99) * 1000:.0f} ms"
    )
    line(
        f"statuses {statuses}; funding.entitlement.created.v1 in the outbox: {events_out:,}; "
        f"{cpu:.1f}s of this process's CPU ({cpu / len(timed) * 1e6:.0f} µs an event)"
    )
    scope = (
        "" if len(timed) == 10_000 else f" (the target is for 10,000 events, not {len(timed):,})"
    )
    line(f"target < {TARGET_S:.0f}s: {'PASS' if ok else 'FAIL'}{scope}")
    return {
        "events": len(timed),
        "seconds": round(took, 2),
        "events_per_s": round(len(timed) / took),
        "batches": len(runner.batches),
        "batch_p50_ms": round(percentile(latencies, 50) * 1000),
        "batch_p99_ms": round(percentile(latencies, 99) * 1000),
        "cpu_us_per_event": round(cpu / len(timed) * 1e6),
        "verdict": "PASS" if ok else "FAIL",
    }


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(to_sync_url(url)) as conn:
        return list(conn.execute(sql).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sme-funding-bench-"))
    line(f"working directory {workdir}; machine: {os.cpu_count()} cores")
    with ExitStack() as stack:
        server = os.environ.get("SME_BENCH_DATABASE_URL")
        if server is None:
            postgres = EmbeddedPostgres(data_dir=workdir / "postgres", port=free_port())
            postgres.start()
            stack.callback(postgres.stop)
            server = postgres.url
        kafka = EmbeddedKafka(port=free_port(), log_file=workdir / "tansu.log")
        kafka.start()
        stack.callback(kafka.stop)
        results = asyncio.run(run(args, server, kafka.bootstrap_servers))
    line(json.dumps(results))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
