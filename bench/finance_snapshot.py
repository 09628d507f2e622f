"""Finance-matching list push benchmark (issue 10, performance): a snapshot of 150,000 certified
enterprises streams in under 5 s with flat memory; a delta pull answers in under 50 ms p99 with
100 institutions pulling at once.

Seeds a real PostgreSQL (the embedded one, as the other benches; ``SME_BENCH_DATABASE_URL`` for a
server) through the finance-matching migrations with COPY (not timed): N enterprises in the
directory of 兰州 (620100), each holding a valid 专精特新 certificate in ``certified_enterprise``
with one change each in the change log; one institution serving all of them; 100 institutions that
each received 200 of them and have 50 changes waiting after their acknowledged cursor; a product
catalogue of 30. Then, against the finance-matching app (the real service functions, routes and
tokens):

1. the snapshot is made (``POST /v1/lists/snapshots``, timed apart);
2. its content is streamed over HTTP (uvicorn on 127.0.0.1, httpx streaming client) in each
   format, and printed: seconds, rows/s, bytes; memory is the peak Python allocation while the
   server-side generator runs (tracemalloc, a second pass) and the process's peak RSS growth
   (``resource``);
3. delta pulls, each institution with its own client token, against the 50 ms p99 target, printed
   with PASS/FAIL, against the service in ``--processes`` processes of its own (the app as
   ``serve`` builds it, with its lifespan and logging, on uvicorn with uvloop and httptools; one
   port shared with SO_REUSEPORT), from a load generator in another process, so its CPU is not
   counted in the server's event loop: (a) 100 keep-alive connections, one per institution, all
   sending at once, ``--rounds`` times (the round ends when the last is answered); (a') ``wrk``
   (when installed: ``apt-get install wrk``) keeping 100 connections in flight for ``--seconds``,
   each request with the next institution's token; (b) 100 institutions each pulling once every
   ``--period`` seconds at its own phase (open loop, latency from the scheduled arrival); and
   (floor) the burst of (a) on a path the bench adds, answered as the pulls are (their shortcut,
   ``sme_common.fast_route``: the token, the role, the query) with a fixed body and no database:
   what a pull costs above it is its own. Each prints the server processes' and PostgreSQL's CPU
   a pull (``/proc``) and how busy the machine was: the machine's two cores are shared by the
   servers, PostgreSQL and the load generator (and whatever else runs). ``--in-process``
   measures as the earlier runs did instead: httpx through ASGI in the app's own process and
   event loop (the load generator's CPU counted in the loop).
   ``--database-url`` pulls from a database an earlier run seeded (printed after seeding).

    .venv/bin/python bench/finance_snapshot.py --enterprises 150000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
import uvicorn
from fastapi import Request, Response
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from starlette.middleware import Middleware

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_common.auth import Principal  # noqa: E402
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key  # noqa: E402
from sme_common.auth.tokens import mint_token_from_file  # noqa: E402
from sme_common.clock import FixedClock, use_clock  # noqa: E402
from sme_common.db import Database, UnitOfWork  # noqa: E402
from sme_common.db.engine import to_async_url, to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedPostgres, free_port  # noqa: E402
from sme_common.fast_route import FastGetRoute  # noqa: E402
from sme_common.ids import uscc_from_serial  # noqa: E402
from sme_common.observability.logging import configure_logging  # noqa: E402
from sme_common.runtime import create_service_app  # noqa: E402
from sme_common.settings import AuthSettings, KafkaSettings  # noqa: E402
from sme_finance_matching.app import DEFINITION, create_app  # noqa: E402
from sme_finance_matching.config import Settings  # noqa: E402
from sme_finance_matching.dependencies import delta_reader  # noqa: E402
from sme_finance_matching.lists import service as lists  # noqa: E402
from sme_finance_matching.lists.domain import Format  # noqa: E402
from sme_finance_matching.lists.models import ListSnapshot  # noqa: E402
from sme_finance_matching.lists.schemas import DeltaQuery  # noqa: E402

API = "/api/finance-matching/v1"
NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
PULLERS = 100
RECEIVED_EACH = 200
WAITING_EACH = 50
TARGET_MS = 50.0


def line(text: str = "") -> None:
    print(text, flush=True)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _copy(cursor: psycopg.Cursor, table: str, columns: str, rows: list[tuple[object, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(url: str, enterprises: int) -> None:
    usccs = [uscc_from_serial(n, "620102") for n in range(enterprises)]
    with psycopg.connect(to_sync_url(url), autocommit=False) as conn, conn.cursor() as cur:
        _copy(
            cur,
            "enterprise_directory",
            "uscc, name, region_code, reporting_unit_code, industry_code, operating_status,"
            " registry_version, registered_at",
            [
                (
                    u,
                    f"兰州测试企业{n:06d}有限公司",
                    "620102",
                    "620100",
                    "C3484",
                    "operating",
                    1,
                    NOW,
                )
                for n, u in enumerate(usccs)
            ],
        )
        _copy(
            cur,
            "certified_enterprise",
            "uscc, certificate_id, tier, level, issued_on, expires_on, status, changed_at,"
            " change_seq",
            [
                (
                    u,
                    f"cert_{n:012d}",
                    "specialised",
                    "provincial",
                    date(2026, 1, 10),
                    date(2029, 1, 9),
                    "valid",
                    NOW,
                    n + 1,
                )
                for n, u in enumerate(usccs)
            ],
        )
        _copy(
            cur,
            "certified_change",
            "seq, uscc, kind, certificate_id, tier, level, issued_on, expires_on, status,"
            " changed_at",
            [
                (
                    n + 1,
                    u,
                    "added",
                    f"cert_{n:012d}",
                    "specialised",
                    "provincial",
                    date(2026, 1, 10),
                    date(2029, 1, 9),
                    "valid",
                    NOW,
                )
                for n, u in enumerate(usccs)
            ],
        )
        cur.execute("SELECT setval('certified_change_seq', %s)", (enterprises,))
        institutions = [
            # The big one serves the whole province; the pullers serve tiers no enterprise holds,
            # so that only what they received reaches them (the recipients' path of the query).
            ("inst_big000000000", ["620000"], ["specialised", "little_giant"]),
            *[(f"inst_p{n:011d}", ["620100"], ["little_giant"]) for n in range(PULLERS)],
        ]
        for n, (institution_id, regions, tiers) in enumerate(institutions):
            cur.execute(
                "INSERT INTO institution VALUES (%s, 'bank', %s, %s, '620000', %s, %s, 'active', 1,"
                " %s, 'bench', %s, 'bench')",
                (
                    institution_id,
                    f"测试银行{n}",
                    uscc_from_serial(90_000_000 + n, "620100"),
                    regions,
                    tiers,
                    NOW,
                    NOW,
                ),
            )
            cur.execute(
                "INSERT INTO institution_client VALUES (%s, %s, %s, 'bench')",
                (f"client-{institution_id}", institution_id, NOW),
            )
        for n in range(30):
            cur.execute(
                "INSERT INTO credit_product VALUES (%s, 'inst_big000000000', %s, 'credit_loan',"
                " NULL, 10000000, 500000000, 0.03, 0.045, 6, 36, NULL, '{specialised}', '{C}',"
                " '{620100}', '{small}', 'active', 1, %s, 'bench', %s, 'bench')",
                (f"prod_{n:012d}", f"专精特新贷{n}", NOW, NOW),
            )
        # Each puller received 200 enterprises; 50 of them changed after its cursor.
        head = enterprises
        received: list[tuple[object, ...]] = []
        changes: list[tuple[object, ...]] = []
        seq = head
        for p in range(PULLERS):
            institution_id = f"inst_p{p:011d}"
            start = (p * RECEIVED_EACH) % max(1, enterprises - RECEIVED_EACH)
            mine = usccs[start : start + RECEIVED_EACH]
            received += [(institution_id, u, NOW) for u in mine]
            cur.execute(
                "INSERT INTO list_cursor VALUES (%s, %s, %s, 'bench')", (institution_id, head, NOW)
            )
            for u in mine[:WAITING_EACH]:
                seq += 1
                changes.append(
                    (
                        seq,
                        u,
                        "renewed",
                        "cert_x",
                        "specialised",
                        "provincial",
                        date(2026, 1, 10),
                        date(2032, 1, 9),
                        "valid",
                        NOW,
                    )
                )
        _copy(cur, "list_recipient", "institution_id, uscc, first_received_at", received)
        _copy(
            cur,
            "certified_change",
            "seq, uscc, kind, certificate_id, tier, level, issued_on, expires_on, status,"
            " changed_at",
            changes,
        )
        cur.execute("SELECT setval('certified_change_seq', %s)", (seq,))
        conn.commit()
        cur.execute("ANALYZE")


def token(key_dir: Path, client_id: str) -> dict[str, str]:
    minted = mint_token_from_file(
        key_dir / SIGNING_KEY_FILE,
        subject=f"client:{client_id}",
        roles=("bank",),
        scopes=("finance:read", "finance:write"),
        client_id=client_id,
    )
    return {"Authorization": f"Bearer {minted}"}


async def stream_over_http(app: object, headers: dict[str, str], snapshot_id: str) -> None:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")  # type: ignore[arg-type]
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for fmt in Format:
                before = rss_mb()
                started = time.perf_counter()
                size = 0
                async with client.stream(
                    "GET",
                    f"{API}/lists/snapshots/{snapshot_id}/content",
                    params={"format": fmt.value},
                    headers=headers,
                ) as response:
                    assert response.status_code == 200, response.status_code
                    async for part in response.aiter_raw():
                        size += len(part)
                seconds = time.perf_counter() - started
                line(
                    f"  stream {fmt.value:6s} over HTTP: {seconds:6.2f} s, {size / 1e6:7.1f} MB,"
                    f" peak RSS growth {rss_mb() - before:6.1f} MB"
                )
    finally:
        server.should_exit = True
        await serving


async def bench(url: str, key_dir: Path, args: argparse.Namespace) -> None:
    settings = Settings(
        database_url=url,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=key_dir / "jwks.json"),
        run_workers=False,
    )
    database = Database.from_url(url, pool_size=args.pool_size)
    app = create_app(settings, database=database)
    big = token(key_dir, "client-inst_big000000000")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://finance", timeout=120) as c:
        started = time.perf_counter()
        made = await c.post(f"{API}/lists/snapshots", json={}, headers=big)
        assert made.status_code == 201, made.text
        snapshot = made.json()
        line(
            f"snapshot made: {snapshot['entry_count']:,} enterprises, "
            f"{snapshot['product_count']} products in {time.perf_counter() - started:.2f} s"
        )

    if not args.skip_stream:
        row = await _snapshot_row(database, snapshot["id"])
        line(f"streaming {row.entry_count:,} rows (server-side generator, no HTTP):")
        for fmt in Format:
            rss_before = rss_mb()
            started = time.perf_counter()
            size = 0
            async for part in lists.content(database, row, fmt):
                size += len(part)
            seconds = time.perf_counter() - started
            tracemalloc.start()
            async for _ in lists.content(database, row, fmt):
                pass
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            line(
                f"  {fmt.value:6s}: {seconds:6.2f} s, {row.entry_count / seconds:9,.0f} rows/s,"
                f" {size / 1e6:7.1f} MB out, peak Python allocation {peak / 1e6:6.1f} MB,"
                f" peak RSS growth {rss_mb() - rss_before:6.1f} MB"
            )
        if not args.skip_http:
            await stream_over_http(app, big, snapshot["id"])

    if args.in_process:
        headers = [token(key_dir, f"client-inst_p{p:011d}") for p in range(PULLERS)]
        await pull_deltas_bench(transport, headers, args)
    await database.dispose()


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def _verdict(label: str, samples: list[float], extra: str = "") -> None:
    p99 = _pct(samples, 0.99)
    line(
        f"  {label}: {len(samples)} pulls{extra}: p50 {_pct(samples, 0.5):.1f} ms,"
        f" p99 {p99:.1f} ms, max {max(samples):.1f} ms"
        f" -> {'PASS' if p99 < TARGET_MS else 'FAIL'} (p99 < {TARGET_MS:.0f} ms)"
    )


async def pull_deltas_bench(
    transport: httpx.ASGITransport, headers: list[dict[str, str]], args: argparse.Namespace
) -> None:
    """Delta pulls, each by its own institution's client token, measured three ways (one process:
    the app and the load generator share the event loop and the machine's cores)."""
    rows_seen: list[int] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://finance", timeout=60) as c:

        async def pull(h: dict[str, str]) -> float:
            started = time.perf_counter()
            got = await c.get(f"{API}/lists/deltas", headers=h)
            elapsed = (time.perf_counter() - started) * 1000
            assert got.status_code == 200, got.text
            rows_seen.append(len(got.json()["changes"]))
            return elapsed

        await asyncio.gather(*(pull(h) for h in headers))  # warm-up
        line(f"delta pulls ({PULLERS} institutions, each with its own client token):")
        alone = [await pull(h) for h in headers for _ in range(2)]
        _verdict("one at a time (no concurrency)", alone)
        cpu = time.process_time()
        rows_seen.clear()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        burst: list[float] = []
        for _ in range(args.rounds):
            burst += await asyncio.gather(*(pull(h) for h in headers))
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        per_pull = (time.process_time() - cpu) * 1000 / len(burst)
        _verdict(
            f"(a) {PULLERS} in flight at once (asyncio.gather, {args.rounds} rounds)",
            burst,
            f", {sum(rows_seen) / len(rows_seen):.0f} changes each,"
            f" {per_pull:.1f} ms of process CPU a pull",
        )

        # (b) Open loop: every institution pulls once every ``--period`` seconds, at its own
        # phase in the period (100 institutions at 1 s: 100 pulls/s arriving evenly, as 100 banks
        # polling independently would). Latency counts from the scheduled arrival, so a pull
        # that starts late because the loop was busy is charged for the wait.
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2
        steady: list[float] = []

        async def polling(index: int, h: dict[str, str]) -> None:
            for tick in range(args.seconds):
                due = start + (tick + index / PULLERS) * args.period
                await asyncio.sleep(max(0.0, due - loop.time()))
                got = await c.get(f"{API}/lists/deltas", headers=h)
                assert got.status_code == 200, got.text
                steady.append((loop.time() - due) * 1000)

        pauses: list[float] = []
        began: list[float] = []

        def gc_timer(phase: str, _info: dict[str, int]) -> None:
            if phase == "start":
                began.append(time.perf_counter())
            elif began:
                pauses.append((time.perf_counter() - began.pop()) * 1000)

        if not args.no_gc_freeze:
            # What the service's start-up does (sme_common.runtime's lifespan); the app here is
            # driven without its lifespan, so the bench does it itself.
            gc.collect()
            gc.freeze()
        gc.callbacks.append(gc_timer)
        try:
            await asyncio.gather(*(polling(i, h) for i, h in enumerate(headers)))
        finally:
            gc.callbacks.remove(gc_timer)
        _verdict(
            f"(b) {PULLERS} institutions each pulling once every {args.period:g} s"
            f" ({PULLERS / args.period:.0f} pulls/s, {args.seconds} s)",
            steady,
        )
        line(
            f"     (garbage collections during (b): {len(pauses)},"
            f" longest {max(pauses, default=0.0):.1f} ms, {sum(pauses):.0f} ms in all)"
        )


async def _snapshot_row(database: Database, snapshot_id: str) -> ListSnapshot:
    async with UnitOfWork(database) as uow:
        row = await uow.session.get(ListSnapshot, snapshot_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=150_000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=100,
        help="bursts in (a): 100 give 10,000 pulls, whose 99th percentile is the 100th slowest;"
        " of 10 or 20 bursts it is the slowest burst's tail (one stalled burst decides it)",
    )
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-stream", action="store_true", help="only the delta pulls")
    parser.add_argument("--seconds", type=int, default=10, help="length of the steady-rate run")
    parser.add_argument("--period", type=float, default=1.0, help="each institution's poll period")
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="skip the gc.freeze() the service's start-up does (to see what it buys)",
    )
    parser.add_argument("--profile", help="write a cProfile of the concurrent pulls here")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="delta pulls from httpx in the app's own process and event loop (the earlier method)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes for the delta pulls (one listening port, SO_REUSEPORT); one, as"
        " `serve` runs the service: on two cores shared with PostgreSQL a second one added"
        " contention, not pulls a second (docs/benchmarks.md)",
    )
    parser.add_argument(
        "--database-url", help="pull deltas from a database an earlier run seeded (no seeding)"
    )
    parser.add_argument(
        "--max-overflow",
        type=int,
        help="the server processes' pool overflow (the service's default: as many as --pool-size)",
    )
    if len(sys.argv) > 1 and sys.argv[1] in ("serve", "pull"):
        sub = sys.argv.pop(1)
        (serve_main if sub == "serve" else pull_main)(sys.argv[1:])
        return
    args = parser.parse_args()
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="finance-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
        key_dir = workdir / "auth"
        ensure_signing_key(key_dir)
        if args.database_url:
            # A database an earlier run seeded and left (its pullers' cursors unchanged: a pull
            # moves nothing), for the delta pulls alone.
            pull_deltas_apart(args.database_url, key_dir, workdir, args)
            return
        server = os.environ.get("SME_BENCH_DATABASE_URL")
        if server is None:
            postgres = EmbeddedPostgres(data_dir=workdir / "postgres", port=free_port())
            postgres.start()
            stack.callback(postgres.stop)
            server = postgres.url
        url = server.rsplit("/", 1)[0] + f"/bench_finance_{secrets.token_hex(3)}"
        ensure_database(url)
        upgrade("sme_finance_matching", url)
        started = time.perf_counter()
        seed(url, args.enterprises)
        line(
            f"seeded {args.enterprises:,} certified enterprises in {time.perf_counter() - started:.1f} s"
            f" ({url})"
        )
        with use_clock(FixedClock(NOW)):
            asyncio.run(bench(url, key_dir, args))
        if not args.in_process:
            pull_deltas_apart(url, key_dir, workdir, args)


# --- delta pulls against the service in processes of its own ---------------------------------

_WRK_SCRIPT = """
local tokens = {}
local next_token = 0
init = function(args)
  for token in io.lines(args[1]) do tokens[#tokens + 1] = token end
end
request = function()
  next_token = next_token % #tokens + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[next_token]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _listening_socket(port: int) -> socket.socket:
    """Every server process binds the same port with SO_REUSEPORT: the kernel spreads the
    connections over them (what several uvicorn workers behind one port do)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    return sock


FLOOR_PATH = f"{API}/bench-floor"


async def _floor(_request: Request, _query: DeltaQuery, principal: Principal) -> Response:
    assert principal.client_id  # the token was checked as the delta pulls' is
    return Response(b'{"changes":[]}', media_type="application/json")


# The floor under a delta pull, in the bench's server processes only: the pulls' shortcut
# (sme_common.fast_route) for a path of the bench's, with the same requirement (token, role,
# scope) and query model, answering a fixed body without touching the database. The request
# passes everything a pull passes before its own code: what a pull costs above it is the pull's.
FLOOR = Middleware(
    FastGetRoute, path=FLOOR_PATH, requirement=delta_reader, query_model=DeltaQuery, endpoint=_floor
)


def serve_main(argv: list[str]) -> None:
    """One server process: the finance-matching app as ``serve`` builds it (its lifespan, so its
    start-up ``gc.freeze()``; its logging), on uvicorn with uvloop and httptools."""
    parser = argparse.ArgumentParser(prog="finance_snapshot.py serve")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--jwks", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--ready", required=True, help="a file written once it serves")
    parser.add_argument("--max-overflow", type=int)
    args = parser.parse_args(argv)
    settings = Settings(
        database_url=args.database_url,
        database_pool_size=args.pool_size,
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=Path(args.jwks)),
        run_workers=False,
    )
    configure_logging(settings.log_level, environment="production")
    database = None
    if args.max_overflow is not None:
        # The kernel's pool opens as many overflow connections as pooled ones; under bursts they
        # are opened and closed again and again (a PostgreSQL backend started each time).
        engine = create_async_engine(
            to_async_url(args.database_url),
            pool_size=args.pool_size,
            max_overflow=args.max_overflow,
            hide_parameters=True,
        )
        database = Database(engine, async_sessionmaker(engine, expire_on_commit=False))
    definition = replace(DEFINITION, inner_middleware=[FLOOR, *DEFINITION.inner_middleware])
    app = create_service_app(definition, settings, database=database)
    config = uvicorn.Config(app, log_config=None, lifespan="on", backlog=2048, access_log=False)

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            Path(args.ready).write_text(str(os.getpid()))  # noqa: ASYNC240 (once, at start)

    Server(config).run(sockets=[_listening_socket(args.port)])


async def _http_get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    """One keep-alive GET on a raw connection (a load generator costing little CPU): status and
    body length."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for header in head.split(b"\r\n"):
        if header[:15].lower() == b"content-length:":
            length = int(header[15:])
    await reader.readexactly(length)
    return status, length


def pull_main(argv: list[str]) -> None:
    """The load generator, in a process of its own: 100 keep-alive connections, one per
    institution, each with its own token. ``burst``: all 100 send at once and the round ends when
    the last is answered (scenario (a)); ``steady``: each institution pulls once every
    ``--period`` at its own phase, latency from the scheduled arrival (scenario (b)). ``--path``
    and ``--expect``: another request and the status its answers must have (the floor). Prints
    one line ``PULL <n> <p50 ms> <p99 ms> <max ms> <answers not of that status> <its own CPU
    seconds over the measured requests>``."""
    parser = argparse.ArgumentParser(prog="finance_snapshot.py pull")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--mode", choices=("burst", "steady"), required=True)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--period", type=float, default=1.0)
    parser.add_argument("--path", default=f"{API}/lists/deltas")
    parser.add_argument("--expect", type=int, default=200, help="the status every answer has")
    args = parser.parse_args(argv)
    tokens = Path(args.tokens).read_text().split()
    requests = [
        (
            f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {t}\r\n\r\n"
        ).encode()
        for t in tokens
    ]

    async def run() -> list[float]:
        connections = [await asyncio.open_connection("127.0.0.1", args.port) for _ in requests]
        failures = 0
        samples: list[float] = []
        loop = asyncio.get_running_loop()

        async def once(index: int, since: float) -> None:
            nonlocal failures
            status, _ = await _http_get(*connections[index], requests[index])
            failures += status != args.expect
            samples.append((loop.time() - since) * 1000)

        # Warm-up: every connection accepted and every institution pulled once (its CPU is
        # counted in the figures per pull, a 1/rounds overstatement).
        await asyncio.gather(*(once(i, loop.time()) for i in range(len(requests))))
        samples.clear()
        failures = 0
        began_cpu = time.process_time()
        if args.mode == "burst":
            for _ in range(args.rounds):
                began = loop.time()
                await asyncio.gather(*(once(i, began) for i in range(len(requests))))
        else:
            start = loop.time() + 0.2

            async def polling(index: int) -> None:
                for tick in range(args.seconds):
                    due = start + (tick + index / len(requests)) * args.period
                    await asyncio.sleep(max(0.0, due - loop.time()))
                    await once(index, due)

            await asyncio.gather(*(polling(i) for i in range(len(requests))))
        used = time.process_time() - began_cpu
        for _, writer in connections:
            writer.close()
        ordered = sorted(samples)
        print(
            f"PULL {len(ordered)} {_pct(ordered, 0.5):.1f} {_pct(ordered, 0.99):.1f}"
            f" {ordered[-1]:.1f} {failures} {used:.4f}",
            flush=True,
        )
        return samples

    import uvloop

    uvloop.run(run())


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes so far (``/proc/<pid>/stat``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that ended meanwhile: its CPU is not counted
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _machine_busy() -> tuple[float, float]:
    """Busy and total CPU time of the whole machine (``/proc/stat``), in ticks."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _backends(url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench's database now (the servers' pools)."""
    with psycopg.connect(to_sync_url(url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows if Path(f"/proc/{pid}/stat").exists()]


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def pull_deltas_apart(url: str, key_dir: Path, workdir: Path, args: argparse.Namespace) -> None:
    """Delta pulls against the service in ``--processes`` processes of its own, from a load
    generator in another process (``wrk`` when installed, and the bench's own raw-socket client),
    so the load generator's CPU is not counted in the server's event loop. The machine's two
    cores are still shared by the server processes, PostgreSQL and the load generator."""
    tokens = workdir / "tokens.txt"
    tokens.write_text(
        "\n".join(
            token(key_dir, f"client-inst_p{p:011d}")["Authorization"].split()[1]
            for p in range(PULLERS)
        )
        + "\n"
    )
    port = free_port()
    here = str(Path(__file__).resolve())
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                here,
                "serve",
                "--database-url",
                url,
                "--jwks",
                str(key_dir / "jwks.json"),
                "--port",
                str(port),
                "--pool-size",
                str(args.pool_size),
                *([] if args.max_overflow is None else ["--max-overflow", str(args.max_overflow)]),
                "--ready",
                str(workdir / f"ready{n}"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=(workdir / f"server{n}.log").open("w"),
        )
        for n in range(args.processes)
    ]
    try:
        _wait_listening([workdir / f"ready{n}" for n in range(args.processes)], servers)
        pids = [s.pid for s in servers]
        line(
            f"delta pulls ({PULLERS} institutions, each with its own client token) against"
            f" {args.processes} server process(es) on one port (SO_REUSEPORT), load generator in"
            f" another process; load average {_load()} at start:"
        )

        def measured(label: str, command: list[str], marker: str) -> list[float] | None:
            backends = _backends(url)
            before = {pid: _cpu_seconds([pid]) for pid in backends}
            cpu = _cpu_seconds(pids)

            def _cpu_before(lasting: set[int]) -> float:
                return sum(before[pid] for pid in lasting)

            busy, total = _machine_busy()
            output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
            found = [ln.split()[1:] for ln in output.splitlines() if ln.startswith(marker)]
            if not found:
                line(f"  {label}: no result ({output.strip()[-300:]})")
                return None
            # PostgreSQL: the backends that lived through the run (a pool's overflow connections
            # opened and closed meanwhile are not counted: a lower bound).
            lasting = set(backends) & set(_backends(url))
            db_cpu = _cpu_seconds(list(lasting)) - _cpu_before(lasting)
            cpu = _cpu_seconds(pids) - cpu
            busy_after, total_after = _machine_busy()
            values = [float(v) for v in found[0]]
            share = (busy_after - busy) / max(1, total_after - total) * 100
            return [*values, cpu, db_cpu, share]

        def report(
            label: str,
            n: float,
            p50: float,
            p99: float,
            top: float,
            bad: float,
            cpu: float,
            db_cpu: float,
            share: float,
            client_cpu: float | None,
            pulls: float,
        ) -> None:
            generator = (
                ""
                if client_cpu is None
                else f", load generator {client_cpu * 1000 / (pulls - PULLERS):.2f} ms"
            )
            line(
                f"  {label}: {n:.0f} pulls: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms,"
                f" {bad:.0f} not 200 -> {'PASS' if p99 < TARGET_MS and not bad else 'FAIL'}"
                f" (p99 < {TARGET_MS:.0f} ms)\n"
                f"      CPU a pull: server {cpu * 1000 / pulls:.2f} ms, PostgreSQL"
                f" {db_cpu * 1000 / pulls:.2f} ms{generator}; machine {share:.0f} % busy"
            )

        def report_pulls(label: str, got: list[float]) -> None:
            """``report`` for a run of the bench's own client (its ``PULL`` line)."""
            n, p50, p99, top, bad, client_cpu, cpu, db_cpu, share = got
            # The client's warm-up round is in the CPU too.
            report(label, n, p50, p99, top, bad, cpu, db_cpu, share, client_cpu, n + PULLERS)

        # Every server process's connections opened and every institution pulled, so that the
        # measured runs find their PostgreSQL backends (and count their CPU) from the start.
        pull = [sys.executable, here, "pull", "--port", str(port), "--tokens", str(tokens)]
        subprocess.run([*pull, "--mode", "burst", "--rounds", "3"], capture_output=True, check=True)

        got = measured(
            f"(a) {PULLERS} in flight at once",
            [*pull, "--mode", "burst", "--rounds", str(args.rounds)],
            "PULL",
        )
        if got:
            report_pulls(f"(a) {PULLERS} in flight at once (raw client, {args.rounds} rounds)", got)
        # The floor under (a): the same burst, the same connections, tokens and processes, on the
        # bench's path that the pulls' shortcut answers with a fixed body after checking the token
        # and the query as for a pull: the HTTP server, every middleware (request id, trace,
        # metrics, the access log line, the request guard), the requirement, no database. What a
        # pull costs above it is the pull's own.
        got = measured(
            "(floor)",
            [
                *pull,
                "--mode",
                "burst",
                "--rounds",
                str(args.rounds),
                "--path",
                FLOOR_PATH,
            ],
            "PULL",
        )
        if got:
            n, p50, p99, top, bad, client_cpu, cpu, db_cpu, share = got
            line(
                f"  (floor) the same burst answered as a pull is, up to a fixed body (no"
                f" database): {n:.0f} requests: p50 {p50:.1f} ms, p99"
                f" {p99:.1f} ms, max {top:.1f} ms, {bad:.0f} not 200\n"
                f"      CPU a request: server {cpu * 1000 / (n + PULLERS):.2f} ms, load generator"
                f" {client_cpu * 1000 / n:.2f} ms; machine {share:.0f} % busy"
            )
        wrk = shutil.which("wrk")
        if wrk:
            script = workdir / "pull.lua"
            script.write_text(_WRK_SCRIPT)
            command = [
                wrk,
                "-t1",
                f"-c{PULLERS}",
                f"-d{args.seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}{API}/lists/deltas",
                "--",
                str(tokens),
            ]
            got = measured("wrk", command, "WRK")
            if got:
                n, duration, p50, p99, top, errors, status, cpu, db_cpu, share = got
                report(
                    f"(a') wrk, {PULLERS} connections always in flight ({args.seconds} s,"
                    f" {n / (duration / 1e6):.0f} pulls/s)",
                    n,
                    p50 / 1000,
                    p99 / 1000,
                    top / 1000,
                    errors + status,
                    cpu,
                    db_cpu,
                    share,
                    None,
                    n,
                )
        else:
            line("  (wrk not installed: apt-get install wrk for the closed-loop figure)")
        got = measured(
            f"(b) {PULLERS} institutions each pulling once every {args.period:g} s",
            [
                *pull,
                "--mode",
                "steady",
                "--seconds",
                str(args.seconds),
                "--period",
                str(args.period),
            ],
            "PULL",
        )
        if got:
            report_pulls(
                f"(b) {PULLERS} institutions each pulling once every {args.period:g} s"
                f" ({PULLERS / args.period:.0f} pulls/s, {args.seconds} s)",
                got,
            )
        line(f"  load average {_load()} at the end")
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)


def _wait_listening(ready: list[Path], servers: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(s.poll() is not None for s in servers):
            raise RuntimeError("a server process stopped at start-up (see its log)")
        if all(r.exists() for r in ready):
            return
        time.sleep(0.2)
    raise RuntimeError("the server processes did not start serving")


if __name__ == "__main__":
    main()
