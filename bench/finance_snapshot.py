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
   with PASS/FAIL: one at a time (reference); (a) 100 requests in flight at once
   (``asyncio.gather``, ``--rounds`` times); (b) 100 institutions each pulling once every
   ``--period`` seconds at its own phase (open loop, latency from the scheduled arrival), for
   ``--seconds``, with the garbage collections seen meanwhile (after ``gc.freeze()``, as the
   service's start-up does; ``--no-gc-freeze`` to see it without). The app and the load
   generator share one process.

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
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import psycopg
import uvicorn

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key  # noqa: E402
from sme_common.auth.tokens import mint_token_from_file  # noqa: E402
from sme_common.clock import FixedClock, use_clock  # noqa: E402
from sme_common.db import Database, UnitOfWork  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedPostgres, free_port  # noqa: E402
from sme_common.ids import uscc_from_serial  # noqa: E402
from sme_common.settings import AuthSettings, KafkaSettings  # noqa: E402
from sme_finance_matching.app import create_app  # noqa: E402
from sme_finance_matching.config import Settings  # noqa: E402
from sme_finance_matching.lists import service as lists  # noqa: E402
from sme_finance_matching.lists.domain import Format  # noqa: E402
from sme_finance_matching.lists.models import ListSnapshot  # noqa: E402

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
    parser.add_argument("--rounds", type=int, default=10)
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
    args = parser.parse_args()
    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="finance-bench-"))
        stack.callback(shutil.rmtree, workdir, True)
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
        )
        key_dir = workdir / "auth"
        ensure_signing_key(key_dir)
        with use_clock(FixedClock(NOW)):
            asyncio.run(bench(url, key_dir, args))


if __name__ == "__main__":
    main()
