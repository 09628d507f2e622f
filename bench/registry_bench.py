"""Registry benchmarks (issue: the register, complete): bulk import of enterprises with facts,
lookup by USCC through the gateway against a bare FastAPI + psycopg baseline, and name search.

    .venv/bin/python bench/registry_bench.py all --enterprises 1000000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import datagen, loadgen  # noqa: E402
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key  # noqa: E402
from sme_common.auth.tokens import mint_token_from_file  # noqa: E402
from sme_common.db import Database  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, free_port, wait_for_port  # noqa: E402
from sme_common.events.relay import OutboxRelay, build_producer  # noqa: E402
from sme_common.settings import KafkaSettings  # noqa: E402
from sme_registry.bulk import service as bulk  # noqa: E402
from sme_registry.bulk.models import ImportJob  # noqa: E402
from sme_registry.bulk.worker import import_workers  # noqa: E402
from sme_registry.config import Settings  # noqa: E402
from sme_registry.reference.service import load_reference_data  # noqa: E402
from tests.harness import render_gateway_config  # noqa: E402


def line(text: str = "") -> None:
    print(text, flush=True)


def rss_mb_of_children() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# --- import ------------------------------------------------------------------------------------


def import_settings(url: str, directory: Path) -> Settings:
    return Settings(database_url=url, import_dir=directory)  # type: ignore[arg-type]


def run_import_job(url: str, job_id: str, directory: str) -> None:
    """Child process: the import workers, until the job is done (so their peak memory is measured
    alone)."""

    async def main() -> None:
        database = Database.from_url(url)
        stop = asyncio.Event()

        async def until_finished() -> None:
            while True:
                async with database.sessionmaker() as session:
                    job = await session.get(ImportJob, job_id)
                    if job is not None and job.finished_at is not None:
                        stop.set()
                        return
                await asyncio.sleep(0.5)

        settings = import_settings(url, Path(directory))
        await asyncio.gather(import_workers(settings, database, stop), until_finished())
        await database.dispose()

    asyncio.run(main())


async def bench_import(url: str, count: int, workdir: Path, bootstrap: str) -> None:
    line(f"== import of {count:,} enterprises with 2025 facts (CSV) ==")
    csv_path = workdir / "enterprises.csv"
    started = time.perf_counter()
    datagen.write_csv(csv_path, count)
    line(
        f"generated {csv_path.stat().st_size / 1e6:.0f} MB CSV in {time.perf_counter() - started:.1f}s"
    )
    database = Database.from_url(url)
    from sme_common.auth.principal import Principal

    actor = Principal(subject="bench", roles=frozenset({"province_officer"}), region="620000")
    job = await bulk.queue_file(
        database,
        path=csv_path,
        settings=import_settings(url, workdir / "imports"),
        actor=actor,
    )
    started = time.perf_counter()
    child = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, __file__, "_import_job", url, job.id, str(workdir / "imports")],
        check=True,
    )
    elapsed = time.perf_counter() - started
    peak = rss_mb_of_children()
    result = await bulk.get_job(
        database,
        job_id=job.id,
        actor=Principal(subject="bench", roles=frozenset({"platform_admin"})),
    )
    with psycopg.connect(to_sync_url(url)) as conn:
        events = conn.execute("SELECT count(*) FROM outbox_message").fetchone()[0]  # type: ignore[index]
    line(
        f"import job: status {result.status}, created {result.created_rows:,}, "
        f"errors {result.error_rows:,}, child exit {child.returncode}"
    )
    line(
        f"RESULT import: {elapsed:.1f}s for {count:,} rows = {count / elapsed:,.0f} rows/s; "
        f"{events:,} events committed to the outbox with them; peak RSS of the importer "
        f"{peak:.0f} MB"
    )

    kafka = KafkaSettings(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    relay = OutboxRelay(
        service="registry",
        database=database,
        kafka=kafka,
        topics=["registry.enterprise"],
        batch_size=5000,
    )
    producer = build_producer(kafka)
    await producer.start()
    started = time.perf_counter()
    published = 0
    try:
        while batch := await relay.publish_batch(producer):
            published += batch
    finally:
        await producer.stop()
    elapsed = time.perf_counter() - started
    line(
        f"RESULT relay: {published:,} events published to the broker in {elapsed:.1f}s = "
        f"{published / elapsed:,.0f} events/s"
    )
    await database.dispose()


# --- servers -----------------------------------------------------------------------------------


def start_servers(
    stack: ExitStack, url: str, bootstrap: str, workdir: Path, auth_dir: Path
) -> tuple[int, dict[str, str]]:
    registry_port, baseline_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "SME_REGISTRY_DATABASE_URL": url,
        "SME_REGISTRY_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "SME_REGISTRY_AUTH__JWKS_FILE": str(auth_dir / "jwks.json"),
        "SME_REGISTRY_LOG_LEVEL": "WARNING",
        "SME_REGISTRY_DATABASE_POOL_SIZE": "10",
        "BASELINE_DATABASE_URL": to_sync_url(url),
    }
    logs = workdir / "servers.log"
    for command in (
        [sys.executable, "-m", "sme_registry", "serve", "--port", str(registry_port)],
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--port",
            str(baseline_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
    ):
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=logs.open("ab"), stderr=subprocess.STDOUT
        )
        stack.callback(process.wait, 20)
        stack.callback(process.terminate)
    wait_for_port("127.0.0.1", registry_port, 60)
    wait_for_port("127.0.0.1", baseline_port, 60)
    upstreams = {"registry": f"127.0.0.1:{registry_port}"}
    for other in ("certification", "funding", "finance-matching", "complaints"):
        upstreams[other] = f"127.0.0.1:{registry_port}"
    gateway_dir = workdir / "gateway"
    gateway_dir.mkdir(exist_ok=True)
    gateway_dir.chmod(0o777)
    config = render_gateway_config(upstreams, f"127.0.0.1:{gateway_port}", gateway_dir)
    # The same gateway, with the baseline mounted beside the services for a like-for-like ratio,
    # and the per-client rate limit lifted (the load comes from one address).
    config = config.replace("limit_req zone=per_client burst=400 nodelay;", "")
    config = config.replace(
        "location /api/registry/",
        f"location /baseline/ {{ proxy_pass http://127.0.0.1:{baseline_port}; }}\n"
        "        location /api/registry/",
        1,
    )
    (gateway_dir / "nginx.conf").write_text(config)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    gateway = subprocess.Popen(
        [
            nginx,
            "-c",
            str(gateway_dir / "nginx.conf"),
            "-e",
            str(gateway_dir / "error.log"),
            "-g",
            "daemon off;",
        ]
    )
    stack.callback(gateway.wait, 10)
    stack.callback(gateway.terminate)
    wait_for_port("127.0.0.1", gateway_port)
    token = mint_token_from_file(
        auth_dir / SIGNING_KEY_FILE, subject="bench", roles=["province_officer"], region="620000"
    )
    return gateway_port, {"Authorization": f"Bearer {token}"}


def sample_usccs(url: str, n: int) -> list[str]:
    with psycopg.connect(to_sync_url(url)) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT uscc FROM enterprise TABLESAMPLE SYSTEM (5) LIMIT %s", (n,)
            ).fetchall()
        ]


async def bench_lookup(port: int, headers: dict[str, str], usccs: list[str]) -> None:
    line("== lookup by USCC through the gateway ==")
    ours = loadgen.chooser(usccs, "/api/registry/v1/enterprises/{}")
    base = loadgen.chooser(usccs, "/baseline/enterprises/{}")
    await loadgen.max_throughput("127.0.0.1", port, ours, connections=8, seconds=3, headers=headers)
    await loadgen.max_throughput("127.0.0.1", port, base, connections=8, seconds=3, headers={})
    ours_runs, base_runs = [], []
    for _ in range(3):
        ours_runs.append(
            await loadgen.max_throughput(
                "127.0.0.1", port, ours, connections=8, seconds=8, headers=headers
            )
        )
        base_runs.append(
            await loadgen.max_throughput(
                "127.0.0.1", port, base, connections=8, seconds=8, headers={}
            )
        )
    for name, runs in (("registry", ours_runs), ("baseline", base_runs)):
        for run in runs:
            line(f"  {name:8} closed loop, 8 connections: {run.summary()}")
    ours_rps = sorted(r.rps for r in ours_runs)[1]
    base_rps = sorted(r.rps for r in base_runs)[1]
    line(
        f"RESULT lookup throughput: registry {ours_rps:,.0f}/s, bare FastAPI+psycopg "
        f"{base_rps:,.0f}/s, ratio {ours_rps / base_rps:.2f} (median of 3 runs each, same process)"
    )
    fixed = await loadgen.fixed_rate("127.0.0.1", port, ours, rate=500, seconds=20, headers=headers)
    line(f"RESULT lookup at 500 req/s for 20s: {fixed.summary()}")


async def bench_search(port: int, headers: dict[str, str], names: list[str]) -> None:
    line("== name search ==")
    rng = random.Random(11)
    queries = []
    for name in names:
        start = len(name) - len(name.lstrip()) + rng.randint(1, 4)
        length = rng.choice([2, 3, 4])
        queries.append(name[start : start + length])
    distinctive = loadgen.chooser(queries, "/api/registry/v1/enterprises?q={}&limit=20")
    result = await loadgen.fixed_rate(
        "127.0.0.1", port, distinctive, rate=50, seconds=20, headers=headers
    )
    line(
        f"RESULT search (2–4 characters taken from real names) at 50 req/s for 20s: {result.summary()}"
    )
    places = loadgen.chooser(datagen.PLACES, "/api/registry/v1/enterprises?q={}&limit=20")
    broad = await loadgen.fixed_rate(
        "127.0.0.1", port, places, rate=10, seconds=10, headers=headers
    )
    line(
        f"RESULT search for place names (each matches ~1/18 of the register) at 10 req/s: {broad.summary()}"
    )


# --- main --------------------------------------------------------------------------------------


async def main_async(
    args: argparse.Namespace, url: str, bootstrap: str, workdir: Path, auth_dir: Path
) -> None:
    if args.phase in ("import", "all"):
        await bench_import(url, args.enterprises, workdir, bootstrap)
    if args.phase in ("lookup", "search", "all"):
        names = datagen.write_csv(workdir / "names-only.csv", min(args.enterprises, 200_000))
        with ExitStack() as stack:
            port, headers = start_servers(stack, url, bootstrap, workdir, auth_dir)
            if args.phase in ("lookup", "all"):
                await bench_lookup(port, headers, sample_usccs(url, 20_000))
            if args.phase in ("search", "all"):
                await bench_search(port, headers, names)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_import_job":
        run_import_job(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["import", "lookup", "search", "all"])
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument("--database-url", help="an already imported register (skips set-up)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sme-bench-"))
    line(f"working directory {workdir}; machine: {os.cpu_count()} cores")
    with ExitStack() as stack:
        server = os.environ.get("SME_BENCH_DATABASE_URL") or args.database_url
        if server is None:
            postgres = EmbeddedPostgres(data_dir=workdir / "postgres", port=free_port())
            postgres.start()
            stack.callback(postgres.stop)
            server = postgres.url
        kafka = EmbeddedKafka(port=free_port(), log_file=workdir / "tansu.log")
        kafka.start()
        stack.callback(kafka.stop)
        if args.database_url:
            url = args.database_url
        else:
            url = server.rsplit("/", 1)[0] + f"/bench_registry_{secrets.token_hex(3)}"
            ensure_database(url)
            upgrade("sme_registry", url)
            load_reference_data(url)
        auth_dir = workdir / "auth"
        ensure_signing_key(auth_dir)
        asyncio.run(main_async(args, url, kafka.bootstrap_servers, workdir, auth_dir))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
