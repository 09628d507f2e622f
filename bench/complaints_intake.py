"""Complaints intake benchmark (issue 11, Performance): the hotline files work orders through the
gateway at 100 requests/s sustained for 5 minutes; p99 under 100 ms, no errors, and no duplicate
case under repeated work-order numbers.

Set-up (not timed): PostgreSQL (embedded, or ``SME_BENCH_DATABASE_URL``) and Tansu; the
complaints database migrated as the platform does (``sme_embedded.platform.prepare``); the
complaints service in its own process (``python -m sme_complaints serve``: API, outbox relay,
consumers and the callback worker, as deployed) behind nginx configured from
``deploy/gateway/nginx.conf.template`` unchanged (tests/harness.py's rendering; its per-client
limit of 200 r/s with a burst of 400 stays on). A hotline machine token (``client_id``) is minted.

Load: an open loop written here on raw asyncio streams (keep-alive HTTP/1.1), not wrk. Debian's ``wrk`` has no rate
control (it is a closed loop: each connection sends as soon as the last answer came, so a fixed
arrival rate needs a calibrated connection count and still hides queueing, "coordinated
omission"), and wrk2 is not packaged; httpx was tried first and its connection pool, not the
service, became the bottleneck once requests queued. Here request *i* is scheduled at ``start + i / rate`` whatever
the answers do, and its latency is measured from that scheduled time, so a slow answer delays
nothing else and any queueing shows in the figures. Bodies are built before the clock starts.
``--repeat`` (10 %) of the requests re-send an earlier work order with the same content (already
sent, possibly still in flight: the service must answer the one case, 200); the others are new
work orders (201). Anything else (another status, a transport error, a timeout) is an error.
After the run, the cases the hotline's channel holds must equal the distinct work orders sent, and
no work order may have two cases. A short warm-up (``--warmup`` requests, not counted) precedes the
timed run.

    .venv/bin/python bench/complaints_intake.py                 # 100/s for 300 s
    .venv/bin/python bench/complaints_intake.py --duration 30   # a quicker run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key  # noqa: E402
from sme_common.auth.tokens import mint_token_from_file  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database  # noqa: E402
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, free_port, wait_for_port  # noqa: E402
from sme_common.ids import make_uscc  # noqa: E402
from sme_common.settings import KafkaSettings  # noqa: E402
from sme_embedded.platform import SERVICES, prepare  # noqa: E402
from tests.harness import (  # noqa: E402
    render_gateway_config,
    service_settings,
    start_service_process,
)

TARGET_P99_MS = 100.0
CLIENT_ID = "gansu-12345-bench"
PATH = "/api/complaints/v1/cases"
# Respondents in Gansu regions in force (county, type) and the complaint categories for each.
RESPONDENTS = [
    ("620102", "government_body"),
    ("620103", "public_institution"),
    ("620502", "large_enterprise"),
    ("620702", "government_body"),
    ("621102", "public_institution"),
]
SUBJECTS = [("overdue_goods", "goods"), ("overdue_services", "services")]


def line(text: str = "") -> None:
    print(text, flush=True)


def work_order(serial: int, rng: random.Random) -> dict[str, Any]:
    """One distinct work order: its own complainant, a respondent among a few thousand."""
    region, kind = RESPONDENTS[serial % len(RESPONDENTS)]
    category, subject = SUBJECTS[serial % len(SUBJECTS)]
    amount = rng.randrange(1_000_000, 500_000_000)
    respondent_serial = serial % 3000
    return {
        "category_code": category,
        "work_order_no": f"GS12345-BENCH-{serial:08d}",
        "complainant": {
            "uscc": make_uscc(region="620102", body=f"CB{serial:06d}"),
            "name": f"兰州压测企业{serial}有限公司",
            "size_class": rng.choice(["micro", "small", "medium"]),
            "contact": {"name": "联系人", "phone": f"139{serial:08d}"},
        },
        "respondent": {
            "name": f"被投诉单位{respondent_serial}",
            "uscc": make_uscc(region=region, body=f"RB{respondent_serial:06d}"),
            "type": kind,
            "region_code": region,
        },
        "contract": {
            "signed_on": "2025-03-01",
            "subject": subject,
            "amount_fen": amount,
            "delivered_on": "2025-04-15",
        },
        "amount_owed_fen": amount // 2,
        "other_proceedings": {"seized": False},
        "evidence": [{"kind": "contract", "title": "合同"}, {"kind": "invoice", "title": "发票"}],
    }


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    sent_work_orders: set[str] = field(default_factory=set)
    repeats: int = 0
    repeated: set[str] = field(default_factory=set)
    answered_work_orders: set[str] = field(default_factory=set)
    late_starts: int = 0
    elapsed_s: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def plan(total: int, repeat: float, first_serial: int, seed: int) -> list[tuple[str, bytes, bool]]:
    """(work order, JSON body, is a repeat) per request, in order; a repeat re-sends one of the
    work orders already scheduled before it."""
    rng = random.Random(seed)
    bodies: list[tuple[str, bytes]] = []
    requests: list[tuple[str, bytes, bool]] = []
    serial = first_serial
    for _ in range(total):
        if bodies and rng.random() < repeat:
            number, body = rng.choice(bodies)
            requests.append((number, body, True))
            continue
        order = work_order(serial, rng)
        serial += 1
        encoded = json.dumps(order, ensure_ascii=False).encode()
        bodies.append((order["work_order_no"], encoded))
        requests.append((order["work_order_no"], encoded, False))
    return requests


class Connection:
    """One keep-alive HTTP/1.1 connection on raw asyncio streams (as bench/loadgen.py, for POST):
    far less client CPU per request than httpx, whose pool slows down as requests queue."""

    def __init__(self, host: str, port: int, head: bytes) -> None:
        self.host, self.port, self.head = host, port, head
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.idle_since = time.monotonic()

    def stale(self) -> bool:
        """Idle longer than the gateway keeps an idle client connection (nginx's keepalive_timeout,
        75 s; left with a margin), or already closed by it: a client does not send on it, as
        HTTP clients drop or retry such a connection (RFC 9112 §9.3.1). Without this, a burst that
        reaches for an old connection at the bottom of the pool races nginx's close of it."""
        idle_for = time.monotonic() - self.idle_since
        return idle_for > 50.0 or (self.reader is not None and self.reader.at_eof())

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("connection closed before a response")
        status = int(status_line.split()[1])
        length = 0
        closing = False
        while True:
            header = await self.reader.readline()
            if header in (b"\r\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                closing = True
        answer = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def open_loop(
    base_url: str,
    headers: dict[str, str],
    requests: list[tuple[str, bytes, bool]],
    rate: float,
    outcome: Outcome | None,
    timeout_s: float = 30.0,
) -> None:
    """Request *i* is sent at ``start + i / rate`` on an idle keep-alive connection (a new one
    when none is idle: the loop never waits for an answer before sending)."""
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    ).encode()
    idle: list[Connection] = []

    async def one(scheduled: float, number: str, body: bytes, repeat: bool) -> None:
        conn = None
        while idle and conn is None:
            candidate = idle.pop()
            if candidate.stale():
                candidate.close()
            else:
                conn = candidate
        if conn is None:
            conn = Connection(host, int(port), head)
        try:
            status, answer = await asyncio.wait_for(conn.post(body), timeout_s)
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
            conn.close()
            if outcome is not None:
                outcome.errors.append(f"{number}: {type(exc).__name__} {exc}")
            return
        latency = (time.perf_counter() - scheduled) * 1000
        conn.idle_since = time.monotonic()
        idle.append(conn)
        if outcome is None:
            return
        if status in (200, 201):
            outcome.answered_work_orders.add(number)
        outcome.latencies_ms.append(latency)
        outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        if status not in (200, 201):
            outcome.errors.append(f"{number}: HTTP {status} {answer[:200]!r}")
        elif not repeat and status != 201 and number not in outcome.repeated:
            outcome.errors.append(f"{number}: a new work order answered {status}")

    start = time.perf_counter()
    tasks = []
    for i, (number, body, repeat) in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.005 and outcome is not None:
            outcome.late_starts += 1
        if outcome is not None:
            outcome.sent_work_orders.add(number)
            outcome.repeats += repeat
            if repeat:
                outcome.repeated.add(number)
        tasks.append(asyncio.create_task(one(scheduled, number, body, repeat)))
    await asyncio.gather(*tasks)
    if outcome is not None:
        outcome.elapsed_s = time.perf_counter() - start
    for conn in idle:
        conn.close()


def start_platform(
    stack: ExitStack,
    server_url: str,
    bootstrap: str,
    workdir: Path,
    auth_dir: Path,
    api_processes: int = 1,
) -> tuple[str, str]:
    """The complaints service behind the gateway; returns (gateway URL, database URL).

    One process (``serve``: API and workers) by default; with ``api_processes`` > 1, the
    deployment for more than one core: that many ``serve --reuse-port`` API processes on one port
    (workers off) and one ``worker`` process (outbox relay, consumers, callback deliveries)."""
    module = next(m for m in SERVICES if m.definition.name == "complaints")
    url = server_url.rsplit("/", 1)[0] + f"/bench_complaints_{secrets.token_hex(3)}"
    ensure_database(url)
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"b{secrets.token_hex(3)}.")
    settings = service_settings(module, url, kafka, auth_dir)
    prepare(settings, module)
    port = free_port()
    if api_processes == 1:
        commands = [(settings, ["serve", "--port", str(port)])]
    else:
        api_only = settings.model_copy(update={"run_workers": False})
        serve = ["serve", "--port", str(port), "--reuse-port"]
        commands = [(settings, ["worker"])] + [(api_only, serve)] * api_processes
    for n, (process_settings, command) in enumerate(commands):
        process = start_service_process(
            module, process_settings, command, workdir / f"complaints-{n}.log"
        )
        stack.callback(process.wait, 20)
        stack.callback(process.terminate)
    wait_for_port("127.0.0.1", port, 60)
    upstreams = dict.fromkeys(
        ("registry", "certification", "funding", "finance-matching", "complaints"),
        f"127.0.0.1:{port}",
    )
    gateway_dir = workdir / "gateway"
    gateway_dir.mkdir(exist_ok=True)
    gateway_dir.chmod(0o777)  # nginx workers run as an unprivileged user
    gateway_port = free_port()
    config = gateway_dir / "nginx.conf"
    config.write_text(render_gateway_config(upstreams, f"127.0.0.1:{gateway_port}", gateway_dir))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    error_log = str(gateway_dir / "error.log")
    subprocess.run(
        [nginx, "-t", "-c", str(config), "-e", error_log], check=True, capture_output=True
    )
    gateway = subprocess.Popen([nginx, "-c", str(config), "-e", error_log, "-g", "daemon off;"])
    stack.callback(gateway.wait, 10)
    stack.callback(gateway.terminate)
    wait_for_port("127.0.0.1", gateway_port)
    base_url = f"http://127.0.0.1:{gateway_port}"
    deadline = time.monotonic() + 60
    while httpx.get(f"{base_url}/api/complaints/readyz", timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise TimeoutError("complaints not ready")
        time.sleep(0.2)
    return base_url, url


def count_cases(url: str) -> tuple[int, int, int]:
    """(cases of the bench channel, distinct work orders among them, work orders with 2+ cases)."""
    with psycopg.connect(to_sync_url(url)) as conn:
        cases, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT work_order_no) FROM complaint_case "
            "WHERE channel_id = %s",
            (CLIENT_ID,),
        ).fetchone() or (0, 0)
        doubled = conn.execute(
            "SELECT count(*) FROM (SELECT work_order_no FROM complaint_case WHERE channel_id = %s "
            "GROUP BY work_order_no HAVING count(*) > 1) d",
            (CLIENT_ID,),
        ).fetchone()
    return int(cases), int(distinct), int(doubled[0] if doubled else 0)


async def run(args: argparse.Namespace, base_url: str, url: str, auth_dir: Path) -> bool:
    token = mint_token_from_file(
        auth_dir / SIGNING_KEY_FILE,
        subject=f"client:{CLIENT_ID}",
        roles=["hotline"],
        scopes=["complaints:read", "complaints:write"],
        client_id=CLIENT_ID,
    )
    headers = {"Authorization": f"Bearer {token}"}
    warmup = plan(args.warmup, args.repeat, first_serial=900_000, seed=1)
    await open_loop(base_url, headers, warmup, args.rate, None)
    total = int(args.rate * args.duration)
    requests = plan(total, args.repeat, first_serial=1, seed=7)
    line(
        f"== intake through the gateway: {total:,} POST {PATH} at {args.rate:g}/s for "
        f"{args.duration:g} s ({args.repeat:.0%} repeat an earlier work order) =="
    )
    outcome = Outcome()
    await open_loop(base_url, headers, requests, args.rate, outcome)
    warm_orders = {number for number, _, _ in warmup}
    cases, distinct, doubled = count_cases(url)
    cases -= len(warm_orders)
    distinct -= len(warm_orders)
    answered = len(outcome.latencies_ms)
    line(
        f"sent {total:,} in {outcome.elapsed_s:.1f} s = {total / outcome.elapsed_s:.1f}/s; "
        f"answered {answered:,}; statuses {dict(sorted(outcome.statuses.items()))}; "
        f"repeats {outcome.repeats:,}; sends started >5 ms late {outcome.late_starts}"
    )
    if answered:
        line(
            f"latency from the scheduled send: p50 {outcome.percentile(50):.1f} ms, "
            f"p90 {outcome.percentile(90):.1f} ms, p99 {outcome.percentile(99):.1f} ms, "
            f"p99.9 {outcome.percentile(99.9):.1f} ms, max {max(outcome.latencies_ms):.1f} ms, "
            f"mean {statistics.fmean(outcome.latencies_ms):.1f} ms"
        )
    line(f"errors {len(outcome.errors)}")
    for error in outcome.errors[:10]:
        line(f"  {error}")
    line(
        f"cases {cases:,} vs distinct work orders sent {len(outcome.sent_work_orders):,} "
        f"(answered 200/201 {len(outcome.answered_work_orders):,}; distinct among cases "
        f"{distinct:,}; work orders with more than one case {doubled})"
    )
    checks = {
        "p99 < 100 ms": bool(answered) and outcome.percentile(99) < TARGET_P99_MS,
        "no errors": not outcome.errors and answered == total,
        "no duplicate cases": doubled == 0
        and cases == distinct
        and len(outcome.answered_work_orders) <= cases <= len(outcome.sent_work_orders),
    }
    passed = all(checks.values())
    line(
        "RESULT "
        + ("PASS" if passed else "FAIL")
        + ": "
        + ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in checks.items())
    )
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--repeat", type=float, default=0.10, help="share of repeated work orders")
    parser.add_argument("--warmup", type=int, default=50, help="requests before the timed run")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    parser.add_argument(
        "--api-processes",
        type=int,
        default=1,
        help="API processes sharing the port (SO_REUSEPORT) beside one worker process; "
        "1 (default): one process serving the API and running the workers",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sme-bench-complaints-"))
    workdir.chmod(0o777)
    line(f"working directory {workdir}; machine: {os.cpu_count()} cores")
    passed = False
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
        auth_dir = workdir / "auth"
        ensure_signing_key(auth_dir)
        base_url, url = start_platform(
            stack, server, kafka.bootstrap_servers, workdir, auth_dir, args.api_processes
        )
        passed = asyncio.run(run(args, base_url, url, auth_dir))
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
