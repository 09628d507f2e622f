"""Certification re-evaluation benchmark (issue 8, performance target 2): re-evaluate every one of
150,000 专精特新 holders against a rule-set version, results stored, in under 60 seconds.

Seeds a real PostgreSQL (the embedded one, as the other benches; ``SME_BENCH_DATABASE_URL`` for a
server) through the certification migrations: N enterprises in the directory (Gansu, Guizhou,
Hubei), each with a valid provincial 专精特新 certificate (some also a 创新型 one, some national),
three years of registry facts (2023–2025) in the facts read model, a size class, and credit flags
for a few. The seeding is not timed. Then ``run_reevaluation`` (the service function behind
``python -m sme_certification re-evaluate``) re-evaluates them all as 复核 on 2026-06-10 against
national-2026-2 and stores every result (outcome, score, rule-set version, fingerprint, compact
explanation) with COPY in one transaction; the figure is the wall time of that call.

    .venv/bin/python bench/certification_reevaluation.py --enterprises 150000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sme_certification.evaluations.reevaluation import RunRequest, run_reevaluation  # noqa: E402
from sme_certification.rules.facts import ApplicationKind, Tier  # noqa: E402
from sme_certification.rules.ruleset import load_catalog  # noqa: E402
from sme_common.db import Database  # noqa: E402
from sme_common.db.engine import to_sync_url  # noqa: E402
from sme_common.db.migrations import ensure_database, upgrade  # noqa: E402
from sme_common.devstack import EmbeddedPostgres, free_port  # noqa: E402
from sme_common.ids import uscc_from_serial  # noqa: E402

WAN = 1_000_000
REGIONS = ["620102", "620200", "520102", "522300", "420102", "420500"]
AS_OF = date(2026, 6, 10)
NOW = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)
FLAG_KINDS = ["abnormal_operations", "serious_dishonesty", "major_accident", "data_falsification"]


def line(text: str = "") -> None:
    print(text, flush=True)


def year_facts(rng: random.Random, revenue_wan: int, niche: int) -> dict[str, Any]:
    """One year as registry files it (``FiledFacts``, JSON): money in fen."""
    revenue = revenue_wan * WAN
    return {
        "employees": rng.randint(20, 900),
        "operating_revenue_fen": revenue,
        "main_business_revenue_fen": revenue * rng.randint(70, 100) // 100,
        "rd_expense_fen": revenue * rng.randint(10, 120) // 1000,
        "rd_staff": rng.randint(0, 150),
        "total_assets_fen": revenue * rng.randint(80, 200) // 100,
        "total_liabilities_fen": revenue * rng.randint(20, 120) // 100,
        "net_profit_fen": revenue * rng.randint(-5, 15) // 100,
        "ip_class1_high_value": rng.choice([0, 0, 0, 1]),
        "ip_class1_self_developed": rng.randint(0, 3),
        "ip_class1": rng.randint(0, 9),
        "ip_class1_own_top3": rng.randint(0, 6),
        "ip_class2": rng.randint(0, 12),
        "qualified_equity_raised_fen": rng.choice([0, 0, 0, 500 * WAN, 3000 * WAN]),
        "niche_market_years": niche,
        "digital_level": rng.randint(1, 4),
        "quality_certifications": rng.choice([[], ["iso9001"], ["iso9001", "iso14001"]]),
        "leading_product_field": rng.choice(["", "industrial_foundation", "strategic_emerging"]),
    }


def rows_for(serial: int, rng: random.Random) -> Iterator[tuple[str, tuple[Any, ...]]]:
    uscc = uscc_from_serial(serial, REGIONS[serial % len(REGIONS)])
    region = REGIONS[serial % len(REGIONS)]
    yield (
        "enterprise_directory",
        (
            uscc,
            f"企业{serial}",
            region,
            region[:4] + "00",
            "C39",
            date(2010, 1, 1),
            "operating",
            1,
            NOW,
        ),
    )
    issued = date(2024, 1, 1) + timedelta(days=rng.randint(0, 700))
    level = "national" if serial % 10 == 0 else "provincial"
    yield (
        "certificate",
        (
            f"cert_{serial:08d}",
            f"ZJTX-{serial:08d}",
            uscc,
            "specialised",
            level,
            issued,
            issued + timedelta(days=3 * 365),
            "valid",
            f"V{serial:010d}",
            False,
            "recorded",
            1,
            NOW,
            "bench",
        ),
    )
    if serial % 3 == 0:
        yield (
            "certificate",
            (
                f"cert_i{serial:08d}",
                f"CXX-{serial:08d}",
                uscc,
                "innovative",
                "provincial",
                issued - timedelta(days=365),
                issued + timedelta(days=730),
                "valid",
                f"W{serial:010d}",
                False,
                "recorded",
                1,
                NOW,
                "bench",
            ),
        )
    revenue = rng.choice([800, 1500, 3000, 8000, 20000])
    niche = rng.randint(1, 12)
    for year in (2023, 2024, 2025):
        revenue = revenue * rng.randint(90, 125) // 100
        facts = orjson.dumps(year_facts(rng, revenue, niche + year - 2025)).decode()
        yield ("registry_year_facts", (uscc, year, facts, "{}", 1, "tax", NOW))
    yield (
        "registry_size_class",
        (uscc, rng.choice(["small", "medium", "micro"]), 2025, "300号", NOW),
    )
    if serial % 17 == 0:
        yield (
            "registry_credit_flag",
            (f"flag_{serial}", uscc, FLAG_KINDS[serial % 4], date(2025, 3, 1), None, "raised"),
        )


COLUMNS = {
    "enterprise_directory": "uscc, name, region_code, reporting_unit_code, industry_code, "
    "founded_on, operating_status, registry_version, registered_at",
    "certificate": "id, number, uscc, tier, level, issued_on, expires_on, status, "
    "verification_code, classified, origin, version, recorded_at, recorded_by",
    "registry_year_facts": "uscc, year, facts, ratios, registry_version, source, filed_at",
    "registry_size_class": "uscc, size_class, basis_year, rule_version, decided_at",
    "registry_credit_flag": "flag_id, uscc, kind, started_on, ended_on, last_change",
}


def seed(url: str, count: int) -> None:
    started = time.perf_counter()
    rng = random.Random(8)
    tables: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
    for serial in range(1, count + 1):
        for table, row in rows_for(serial, rng):
            tables[table].append(row)
    with psycopg.connect(to_sync_url(url)) as conn, conn.cursor() as cursor:
        # Seeding stands in for registry's events and officers' 存量 records; the certificate
        # rows' audit is not what is measured, so the triggers are off for the seed only.
        cursor.execute("SET session_replication_role = replica")
        for table, rows in tables.items():
            with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cursor.execute("SET session_replication_role = origin")
        conn.commit()
        cursor.execute("ANALYZE")
    line(
        f"seeded {count:,} enterprises: "
        + ", ".join(f"{len(rows):,} {table}" for table, rows in tables.items())
        + f" in {time.perf_counter() - started:.1f}s"
    )


def audit_results(url: str) -> None:
    """The experiment behind not auditing the results: the insert trigger ``audit_tables_v1``
    would put on ``evaluation_result`` (docs/certification.md, "Evaluations")."""
    with psycopg.connect(to_sync_url(url)) as conn:
        conn.execute(
            "CREATE TRIGGER audit_evaluation_result_insert AFTER INSERT ON evaluation_result "
            "REFERENCING NEW TABLE AS audit_new_rows "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_capture('run_id', 'uscc')"
        )
    line("evaluation_result audited (experiment): an audit record per result")


async def bench(url: str, args: argparse.Namespace) -> None:
    database = Database.from_url(url, pool_size=3)
    request = RunRequest(
        rule_set_id=args.rule_set,
        tier=Tier.SPECIALISED,
        kind=ApplicationKind.RE_REVIEW,
        as_of=AS_OF,
        requested_by="bench",
        again=True,
    )
    try:
        for round_no in range(1, args.rounds + 1):
            load = os.getloadavg()[0]
            report = await run_reevaluation(
                database, load_catalog(), request, clock=lambda: NOW, workers=args.workers
            )
            with psycopg.connect(to_sync_url(url)) as conn:
                stored, size = conn.execute(
                    "SELECT count(*), pg_size_pretty(sum(pg_column_size(explanation))) "
                    "FROM evaluation_result WHERE run_id = %s",
                    (report.run_id,),
                ).fetchone() or (0, "")
            line(
                f"RESULT re-evaluation round {round_no}: {report.enterprises:,} holders in "
                f"{report.seconds:.1f}s = {report.enterprises / report.seconds:,.0f} enterprises/s "
                f"(evaluating in this process: {report.evaluating_seconds:.1f}s); "
                f"{stored:,} results stored (explanations {size}); outcomes "
                f"{dict(sorted(report.outcomes.items()))}; rule set {report.rule_set_id} "
                f"v{report.rule_set_version} {report.fingerprint[:12]}; load average at start "
                f"{load:.1f}, at end {os.getloadavg()[0]:.1f}; {args.workers} evaluating processes"
            )
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=150_000)
    parser.add_argument("--rule-set", default="national-2026-2")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--audit-results", action="store_true", help="measure with the results audited"
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sme-bench-"))
    line(f"working directory {workdir}; machine: {os.cpu_count()} cores")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        server = os.environ.get("SME_BENCH_DATABASE_URL")
        if server is None:
            postgres = EmbeddedPostgres(data_dir=workdir / "postgres", port=free_port())
            postgres.start()
            stack.callback(postgres.stop)
            server = postgres.url
        url = server.rsplit("/", 1)[0] + f"/bench_certification_{secrets.token_hex(3)}"
        ensure_database(url)
        upgrade("sme_certification", url)
        seed(url, args.enterprises)
        if args.audit_results:
            audit_results(url)
        asyncio.run(bench(url, args))


if __name__ == "__main__":
    main()
