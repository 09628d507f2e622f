"""Directory consumer benchmark (issue 6, defect 14): how fast a service's enterprise directory
follows ``registry.enterprise`` after a bulk import.

The topic is filled the way an import fills it: per enterprise a ``registered`` event, a
``facts-filed`` and a ``size-class-changed`` (the directory applies the first and skips the others).
Then, in this one process:
1. before: one directory consumer applying one event per transaction (``batched=False``);
2. after: the same events, batched (one transaction per partition batch, one multi-row upsert);
3. the target: the four directory consumers of certification, funding, finance-matching and
   complaints together (as ``make run`` runs them, in one process) on a 100,000-enterprise import.

    .venv/bin/python bench/consumer_bench.py --enterprises 100000 --compare 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from aiokafka import AIOKafkaProducer  # noqa: E402

from sme_common.contracts.base import EventData  # noqa: E402
from sme_common.contracts.events.registry.models import (  # noqa: E402
    EnterpriseRegisteredV1,
    FactsFiledV1,
    SizeClassChangedV1,
)
from sme_common.db import Database  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, free_port  # noqa: E402
from sme_common.directory.consumers import ENTERPRISE_TOPIC, directory_consumer  # noqa: E402
from sme_common.events.consumer import ConsumerRunner  # noqa: E402
from sme_common.events.envelope import CloudEvent  # noqa: E402
from sme_common.ids import make_uscc  # noqa: E402
from sme_common.settings import KafkaSettings  # noqa: E402

SERVICES = {
    "certification": "sme_certification",
    "funding": "sme_funding",
    "finance-matching": "sme_finance_matching",
    "complaints": "sme_complaints",
}
LETTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def line(text: str = "") -> None:
    print(text, flush=True)


def uscc(serial: int) -> str:
    body = "M"
    for _ in range(7):
        serial, digit = divmod(serial, len(LETTERS))
        body += LETTERS[digit]
    return make_uscc(region="620102", body=body)


def import_events(serial: int) -> list[CloudEvent]:
    """What the importer publishes for one new enterprise with facts, built through the contracts
    as the importer builds them (the directory applies the first and skips the others)."""
    code = uscc(serial)
    at = datetime(2026, 11, 24, 8, tzinfo=UTC)
    payloads: list[EventData] = [
        EnterpriseRegisteredV1(
            uscc=code,
            name=f"兰州示例机械制造有限公司{serial}",
            legal_representative="张三",
            region_code="620102",
            reporting_unit_code="620100",
            industry_code="C3411",
            founded_on=date(2015, 6, 1),
            operating_status="operating",
            registered_at=at,
            version=1,
        ),
        FactsFiledV1.model_validate(
            {
                "uscc": code,
                "year": 2025,
                "version": 1,
                "facts": {
                    "source": "import",
                    "employees": 120,
                    "operating_revenue_fen": 3_000_000_000,
                    "total_assets_fen": 2_000_000_000,
                    "total_liabilities_fen": 500_000_000,
                    "rd_expense_fen": 150_000_000,
                },
                "ratios": {"debt_ratio": "0.2500", "rd_expense_ratio": "0.0500"},
                "source": "import",
                "filed_at": at,
            }
        ),
        SizeClassChangedV1.model_validate(
            {
                "uscc": code,
                "size_class": "small",
                "previous_size_class": None,
                "basis_year": 2025,
                "rule_version": "gxb-2011-300",
                "explanation": {"figures": {"employees": 120}, "thresholds": {"employees": 20}},
                "decided_at": at,
            }
        ),
    ]
    return [
        CloudEvent(
            type=payload.event_type,
            source="/sme/registry",
            subject=code,
            data=payload.to_event_data(),
        )
        for payload in payloads
    ]


async def produce(kafka: KafkaSettings, enterprises: int) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka.bootstrap_servers,
        acks="all",
        linger_ms=10,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    started = time.perf_counter()
    try:
        for serial in range(enterprises):
            for event in import_events(serial):
                await producer.send(
                    kafka.topic(ENTERPRISE_TOPIC),
                    value=event.body(),
                    key=(event.subject or "").encode(),
                    headers=event.kafka_headers(),
                )
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def directory_count(url: str) -> int:
    with psycopg.connect(to_sync_url(url)) as conn:
        row = conn.execute("SELECT count(*) FROM enterprise_directory").fetchone()
    return int(row[0]) if row else 0


async def follow(
    kafka: KafkaSettings, urls: dict[str, str], enterprises: int, *, batched: bool
) -> dict[str, float]:
    """Run one directory consumer per database until each holds every enterprise; seconds each."""
    databases = {service: Database.from_url(url) for service, url in urls.items()}
    runners = [
        ConsumerRunner(
            spec=directory_consumer(service),
            database=database,
            kafka=kafka,
            batched=batched,
        )
        for service, database in databases.items()
    ]
    stop = asyncio.Event()
    started = time.perf_counter()
    cpu_started = time.process_time()
    tasks = [asyncio.create_task(runner.run(stop)) for runner in runners]
    finished: dict[str, float] = {}
    try:
        while len(finished) < len(urls):
            await asyncio.sleep(0.5)
            for service, url in urls.items():
                if service not in finished:
                    count = await asyncio.to_thread(directory_count, url)
                    if count >= enterprises:
                        finished[service] = time.perf_counter() - started
        finished["cpu"] = time.process_time() - cpu_started
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for database in databases.values():
            await database.dispose()
    return finished


def fresh_databases(server: str, services: list[str], label: str) -> dict[str, str]:
    urls = {}
    for service in services:
        name = f"bench_{label}_{service.replace('-', '_')}_{secrets.token_hex(2)}"
        url = server.rsplit("/", 1)[0] + f"/{name}"
        ensure_database(url)
        upgrade(SERVICES[service], url)
        urls[service] = url
    return urls


def kafka_for(bootstrap: str) -> KafkaSettings:
    return KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=f"bench{secrets.token_hex(2)}.",
        session_timeout_ms=2000,
        heartbeat_interval_ms=300,
    )


async def main_async(args: argparse.Namespace, server: str, bootstrap: str) -> None:
    results: dict[str, object] = {}
    if args.compare:
        events = args.compare * 3
        line(f"== before/after: one consumer, {args.compare:,} enterprises ({events:,} events) ==")
        for label, batched in (("per-event", False), ("batched", True)):
            # Its own topic and group each time, so both start from the same full topic.
            kafka = kafka_for(bootstrap)
            seconds = await produce(kafka, args.compare)
            urls = fresh_databases(server, ["certification"], label.replace("-", "_"))
            finished = await follow(kafka, urls, args.compare, batched=batched)
            took, cpu = finished["certification"], finished["cpu"]
            line(
                f"{label:>9}: {took:6.1f}s  {events / took:8,.0f} events/s  "
                f"{args.compare / took:8,.0f} enterprises applied/s  "
                f"{cpu / events * 1e6:5.0f} µs of Python CPU an event  (produced in {seconds:.1f}s)"
            )
            results[label] = {
                "seconds": round(took, 1),
                "events_per_s": round(events / took),
                "cpu_us_per_event": round(cpu / events * 1e6),
            }
    if args.enterprises:
        kafka = kafka_for(bootstrap)
        events = args.enterprises * 3
        line(
            f"== target: four directories, {args.enterprises:,} enterprises ({events:,} events) =="
        )
        seconds = await produce(kafka, args.enterprises)
        line(f"produced in {seconds:.1f}s")
        urls = fresh_databases(server, list(SERVICES), "target")
        finished = await follow(kafka, urls, args.enterprises, batched=True)
        cpu = finished.pop("cpu")
        for service, took in finished.items():
            line(f"{service:>16}: {took:6.1f}s  {events / took:8,.0f} events/s")
        slowest = max(finished.values())
        line(
            f"all four directories complete {slowest:.1f}s after the consumers started "
            f"(target: 120 s after the import job; {4 * events / slowest:,.0f} events/s in all); "
            f"{cpu:.1f}s of Python CPU, {cpu / (4 * events) * 1e6:.0f} µs an event"
        )
        results["target"] = {
            "enterprises": args.enterprises,
            "slowest_s": round(slowest, 1),
            "cpu_s": round(cpu, 1),
            **{k: round(v, 1) for k, v in finished.items()},
        }
    line(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=100_000, help="0 skips the target run")
    parser.add_argument(
        "--compare", type=int, default=5_000, help="enterprises for before/after (0 skips)"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sme-consumer-bench-"))
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
        asyncio.run(main_async(args, server, kafka.bootstrap_servers))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
