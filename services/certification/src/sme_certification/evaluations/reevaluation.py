"""Re-evaluating every holder of a tier against one rule-set version, results stored (issue 8,
performance target 2: 150,000 专精特新 holders in under 60 seconds).

One run is one transaction: the run row, then the holders read in keyset batches (each with its
yearly facts, credit flags, size class and certificates aggregated by PostgreSQL), evaluated with
the compiled rules, and their results written with COPY, as registry's importer writes. The next
batch is read while the current one is evaluated and written (a second connection, reading in a
repeatable-read snapshot). The results become visible together when the run commits, so a reader
never sees half a run; the run row and the rule documents are audited, the results are derived
from them and the facts read model (docs/certification.md, "Evaluations").
"""

from __future__ import annotations

import asyncio
import multiprocessing
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.evaluations import domain
from sme_certification.evaluations.models import EvaluationRun
from sme_certification.facts.domain import FiledYear, KnownFlag, evaluation_input
from sme_certification.rules.domain import evaluate
from sme_certification.rules.facts import ApplicationKind, Tier
from sme_certification.rules.ruleset import RuleCatalog, TierRules, reference
from sme_common.db import Database, UnitOfWork
from sme_common.rules import RuleViolation

BATCH = 2_000
RESULT_COLUMNS = (
    "run_id",
    "uscc",
    "region_code",
    "tier",
    "level",
    "rule_set_id",
    "rule_set_version",
    "fingerprint",
    "outcome",
    "score_points",
    "explanation",
    "evaluated_at",
)

# The holders after ``after`` (keyset), one row each with its facts aggregated as JSON. A holder
# with titles of the tier at both levels is evaluated once, as its national title.
HOLDERS_SQL = """
WITH holders AS (
    SELECT DISTINCT ON (c.uscc) c.uscc, c.level, d.region_code
    FROM certificate c JOIN enterprise_directory d ON d.uscc = c.uscc
    WHERE c.tier = %(tier)s AND c.status = ANY(%(statuses)s)
      AND c.issued_on <= %(as_of)s AND c.expires_on >= %(as_of)s
      AND c.uscc > %(after)s AND d.region_code LIKE %(region)s
    ORDER BY c.uscc, (c.level = 'national') DESC, c.issued_on DESC
    LIMIT %(limit)s
)
SELECT h.uscc, h.level, h.region_code, s.size_class,
    (SELECT json_agg(json_build_array(y.year, y.facts) ORDER BY y.year)
       FROM registry_year_facts y WHERE y.uscc = h.uscc)::text AS years,
    (SELECT json_agg(json_build_array(f.kind, f.started_on, f.ended_on))
       FROM registry_credit_flag f WHERE f.uscc = h.uscc)::text AS flags,
    (SELECT json_agg(json_build_object('tier', t.tier, 'level', t.level,
                                       'issued_on', t.issued_on, 'expires_on', t.expires_on,
                                       'status', t.status, 'ended_on', t.ended_on,
                                       'number', t.number))
       FROM certificate t WHERE t.uscc = h.uscc)::text AS titles
FROM holders h LEFT JOIN registry_size_class s ON s.uscc = h.uscc
ORDER BY h.uscc
"""


@dataclass(frozen=True, slots=True)
class RunRequest:
    rule_set_id: str
    tier: Tier
    kind: ApplicationKind
    as_of: date
    requested_by: str
    region_prefix: str = ""  # GB/T 2260 prefix ("62" for Gansu); empty: every region
    again: bool = False  # a second run of the same version on the same day is refused without it


@dataclass(slots=True)
class RunReport:
    run_id: str
    rule_set_id: str
    rule_set_version: str
    fingerprint: str
    tier: str
    as_of: date
    attempt: int
    enterprises: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    evaluating_seconds: float = 0.0  # in this process (workers=0): the engine's share of the run

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "rule_set_id": self.rule_set_id,
            "rule_set_version": self.rule_set_version,
            "fingerprint": self.fingerprint,
            "tier": self.tier,
            "as_of": self.as_of.isoformat(),
            "attempt": self.attempt,
            "enterprises": self.enterprises,
            "outcomes": dict(sorted(self.outcomes.items())),
            "seconds": round(self.seconds, 2),
            "per_second": round(self.enterprises / self.seconds) if self.seconds else None,
        }


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _loads(text: str | None) -> list[Any]:
    return orjson.loads(text) if text else []


class BatchEvaluator:
    """Evaluates batches of holders read by ``HOLDERS_SQL`` into COPY text (in the calling process
    or in a worker process: it holds the compiled rules per level and province for one run)."""

    def __init__(
        self, catalog: RuleCatalog, request: RunRequest, run_id: str, evaluated_at: datetime
    ) -> None:
        self.catalog = catalog
        self.request = request
        self.run_id = run_id
        self.evaluated_at = _copy_text(evaluated_at.isoformat())
        self._rules: dict[tuple[str, str], TierRules] = {}

    def rules_for(self, level: str, province: str) -> TierRules:
        key = (level, province)
        rules = self._rules.get(key)
        if rules is None:
            probe = domain.holder_application(
                self.request.tier, self.request.kind, level, province, self.request.as_of
            )
            overlays = self.catalog.overlays_for(probe, self.request.rule_set_id)
            rules = self._rules[key] = self.catalog.tier_rules(
                self.request.rule_set_id, self.request.tier, self.request.kind, overlays
            )
        return rules

    def evaluate(self, row: Sequence[Any]) -> tuple[str, int | None, dict[str, Any], TierRules]:
        """One holder's outcome, score, compact explanation and the rules that judged it."""
        uscc, level, region_code, size_class, years, flags, titles = row
        request = self.request
        application = domain.holder_application(
            request.tier, request.kind, level, region_code, request.as_of
        )
        facts = evaluation_input(
            uscc=uscc,
            years=[FiledYear(year, filed) for year, filed in _loads(years)],
            size_class=size_class,
            flags=[
                KnownFlag(kind, date.fromisoformat(started), _date(ended))
                for kind, started, ended in _loads(flags)
            ],
            declared={"held_titles": domain.held_titles(_loads(titles))},
        )
        rules = self.rules_for(application.level.value, application.province or "")
        explanation = evaluate(
            rules, facts, application, selected_by=f"re-evaluation against {request.rule_set_id}"
        )
        score = explanation.score.points if explanation.score is not None else None
        return explanation.outcome.value, score, domain.compact(explanation), rules

    def batch(self, rows: Sequence[Sequence[Any]]) -> tuple[bytes, Counter[str]]:
        """The batch's results as COPY text (``RESULT_COLUMNS``) and the count per outcome."""
        lines: list[str] = []
        outcomes: Counter[str] = Counter()
        tier = self.request.tier.value
        for row in rows:
            outcome, score, explanation, rules = self.evaluate(row)
            outcomes[outcome] += 1
            ref = rules.rule_set
            fields = (
                self.run_id,
                _copy_text(row[0]),
                _copy_text(row[2]),
                tier,
                _copy_text(row[1]),
                _copy_text(ref.id),
                _copy_text(ref.version),
                ref.fingerprint,
                outcome,
                "\\N" if score is None else str(score),
                _copy_text(orjson.dumps(explanation).decode()),
                self.evaluated_at,
            )
            lines.append("\t".join(fields))
        lines.append("")
        return "\n".join(lines).encode(), outcomes


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab, newline and carriage return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value


# The worker processes' evaluator, set by ``_start_worker`` (fork: inherited, not pickled).
_WORKER: BatchEvaluator | None = None


def _start_worker(evaluator: BatchEvaluator) -> None:
    global _WORKER
    _WORKER = evaluator


def _worker_batch(rows: Sequence[Sequence[Any]]) -> tuple[bytes, Counter[str]]:
    assert _WORKER is not None, "worker started without an evaluator"
    return _WORKER.batch(rows)


def rule_set_reference(catalog: RuleCatalog, rule_set_id: str) -> tuple[str, str]:
    """The version and fingerprint of the national rule set a run evaluates against."""
    document = catalog.national.get(rule_set_id)
    if document is None:
        raise RuleViolation(
            "rule_set_unknown",
            f"No national rule set {rule_set_id!r} is in force",
            f"没有现行的认定标准 {rule_set_id}",
            field="rule_set",
        )
    ref = reference(document)
    return ref.version, ref.fingerprint


async def _next_attempt(
    session: AsyncSession, request: RunRequest, version: str, fingerprint: str
) -> int:
    earlier = await session.scalar(
        select(func.max(EvaluationRun.attempt)).where(
            EvaluationRun.rule_set_id == request.rule_set_id,
            EvaluationRun.fingerprint == fingerprint,
            EvaluationRun.tier == request.tier.value,
            EvaluationRun.kind == request.kind.value,
            EvaluationRun.as_of == request.as_of,
        )
    )
    if earlier is None:
        return 1
    if not request.again:
        raise RuleViolation(
            "evaluation_run_exists",
            f"The holders of {request.tier.value} were already evaluated against "
            f"{request.rule_set_id} version {version} as of {request.as_of.isoformat()}; "
            "ask for a new run explicitly (again) if the facts have changed",
            f"已按 {request.rule_set_id} 第 {version} 版对该日期重新评价过；"
            "如事实数据有变化，请明确要求再次评价",
            field="rule_set",
        )
    return int(earlier) + 1


async def _read_batches(
    database: Database,
    request: RunRequest,
    queue: asyncio.Queue[list[tuple[Any, ...]] | None],
    writer: psycopg.AsyncConnection[Any],
) -> None:
    """Producer: the holders in keyset batches, in one repeatable-read snapshot on a connection
    of its own, so reading overlaps evaluating and writing. A test database bound to one
    transaction (``Database.bound_to``) reads on the writer's connection, to see what it wrote."""
    params: dict[str, Any] = {
        "tier": request.tier.value,
        "statuses": list(domain.VALID_STATUSES),
        "as_of": request.as_of,
        "after": "",
        "region": request.region_prefix + "%",
        "limit": BATCH,
    }

    async def pages(pg: psycopg.AsyncConnection[Any]) -> None:
        while True:
            async with pg.cursor() as cursor:
                await cursor.execute(HOLDERS_SQL, params)
                rows = await cursor.fetchall()
            if not rows:
                return
            await queue.put(rows)
            params["after"] = rows[-1][0]

    if getattr(database, "_bound", False):
        await pages(writer)
    else:
        async with database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            pg: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
            async with pg.transaction():
                await pg.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                await pages(pg)
    await queue.put(None)


async def run_reevaluation(
    database: Database,
    catalog: RuleCatalog,
    request: RunRequest,
    *,
    clock: Callable[[], datetime],
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> RunReport:
    """Evaluate every holder and store the results in one transaction; returns the run's report.

    ``workers`` > 0 evaluates in that many forked processes (the engine is pure Python: one
    process is one core); this process reads, hands out batches and writes."""
    started = time.perf_counter()
    version, fingerprint = rule_set_reference(catalog, request.rule_set_id)
    async with UnitOfWork(database) as uow:
        attempt = await _next_attempt(uow.session, request, version, fingerprint)
        report = RunReport(
            f"run_{secrets.token_hex(8)}",
            request.rule_set_id,
            version,
            fingerprint,
            request.tier.value,
            request.as_of,
            attempt,
        )
        run = EvaluationRun(
            id=report.run_id,
            rule_set_id=request.rule_set_id,
            rule_set_version=version,
            fingerprint=fingerprint,
            tier=request.tier.value,
            kind=request.kind.value,
            as_of=request.as_of,
            attempt=attempt,
            status="running",
            enterprises=0,
            outcomes={},
            started_at=clock(),
            requested_by=request.requested_by,
        )
        uow.session.add(run)
        await uow.session.flush()
        connection = await uow.session.connection()
        raw = await connection.get_raw_connection()
        pg: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
        evaluator = BatchEvaluator(catalog, request, report.run_id, clock())
        await _pump(database, request, evaluator, pg, report, workers, progress)
        run.status = "finished"
        run.enterprises = report.enterprises
        run.outcomes = dict(sorted(report.outcomes.items()))
        run.finished_at = clock()
        await uow.commit()
    report.seconds = time.perf_counter() - started
    return report


async def _pump(
    database: Database,
    request: RunRequest,
    evaluator: BatchEvaluator,
    pg: psycopg.AsyncConnection[Any],
    report: RunReport,
    workers: int,
    progress: Callable[[int], None] | None,
) -> None:
    """Read → evaluate → COPY, with up to ``workers + 1`` batches evaluating at once."""
    queue: asyncio.Queue[list[tuple[Any, ...]] | None] = asyncio.Queue(maxsize=workers + 2)
    reader = asyncio.create_task(_read_batches(database, request, queue, pg))
    loop = asyncio.get_running_loop()
    pool = (
        ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_start_worker,
            initargs=(evaluator,),
        )
        if workers > 0
        else None
    )
    pending: deque[tuple[int, asyncio.Future[tuple[bytes, Counter[str]]]]] = deque()

    async def write_oldest() -> None:
        size, future = pending.popleft()
        text, outcomes = await future
        async with pg.cursor() as cursor:
            columns = ", ".join(RESULT_COLUMNS)
            async with cursor.copy(f"COPY evaluation_result ({columns}) FROM STDIN") as copy:
                await copy.write(text)
        report.enterprises += size
        report.outcomes.update(outcomes)
        if progress is not None:
            progress(report.enterprises)

    try:
        while (rows := await queue.get()) is not None:
            if pool is None:
                done: asyncio.Future[tuple[bytes, Counter[str]]] = loop.create_future()
                began = time.perf_counter()
                done.set_result(evaluator.batch(rows))
                report.evaluating_seconds += time.perf_counter() - began
                pending.append((len(rows), done))
            else:
                pending.append((len(rows), loop.run_in_executor(pool, _worker_batch, rows)))
            while len(pending) > workers:
                await write_oldest()
        while pending:
            await write_oldest()
        await reader
    finally:
        if not reader.done():
            reader.cancel()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
