"""``python -m sme_certification re-evaluate --rule-set national-2026-2 --tier specialised``:
re-evaluate every valid holder of the tier against the rule set in force on ``--as-of`` (today by
default), store the results and print the run's report as JSON (progress on stderr)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date

from sme_certification.evaluations.reevaluation import RunReport, RunRequest, run_reevaluation
from sme_certification.evaluations.service import catalog_on
from sme_certification.rules.facts import ApplicationKind, Tier
from sme_common import clock
from sme_common.db import Database
from sme_common.progress import CommandProgress
from sme_common.rules import RuleViolation
from sme_common.runtime import ExtraCommand
from sme_common.settings import ServiceSettings

COMMAND = "re-evaluate"


def add_arguments(parse: argparse.ArgumentParser) -> None:
    parse.add_argument("--rule-set", required=True, help="national rule set id (national-2026-2)")
    parse.add_argument("--tier", required=True, choices=[t.value for t in Tier])
    parse.add_argument(
        "--kind",
        default=ApplicationKind.RE_REVIEW.value,
        choices=[k.value for k in ApplicationKind],
    )
    parse.add_argument("--as-of", type=date.fromisoformat, help="the day judged (default today)")
    parse.add_argument("--region", default="", help="GB/T 2260 prefix, e.g. 62 (default all)")
    parse.add_argument("--requested-by", default="cli", help="who asked (kept on the run)")
    parse.add_argument(
        "--workers",
        type=int,
        default=1,
        help="evaluating processes, one core each (0: evaluate in this one)",
    )
    parse.add_argument(
        "--again", action="store_true", help="a new run even if this version was run that day"
    )


async def reevaluate(
    database: Database, request: RunRequest, *, workers: int, total: int | None = None
) -> RunReport:
    async with database.sessionmaker() as session:
        catalog = await catalog_on(session, request.as_of)
    with CommandProgress(COMMAND, unit="enterprises") as progress:
        return await run_reevaluation(
            database,
            catalog,
            request,
            progress=lambda done: progress.update(done, total),
            clock=clock.now,
            workers=workers,
        )


def run_command(settings: ServiceSettings, args: argparse.Namespace) -> int:
    request = RunRequest(
        rule_set_id=args.rule_set,
        tier=Tier(args.tier),
        kind=ApplicationKind(args.kind),
        as_of=args.as_of or clock.business_today(),
        requested_by=args.requested_by,
        region_prefix=args.region,
        again=args.again,
    )

    async def run() -> RunReport:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=2, role=settings.database_role
        )
        try:
            return await reevaluate(database, request, workers=args.workers)
        finally:
            await database.dispose()

    try:
        report = asyncio.run(run())
    except RuleViolation as refused:
        print(json.dumps({"error": refused.code, "detail": str(refused)}, ensure_ascii=False))
        return 1
    print(json.dumps(report.to_dict(), ensure_ascii=False))
    return 0


reevaluate_command = ExtraCommand(
    run=run_command,
    add_arguments=add_arguments,
    help="re-evaluate every valid holder of a tier against a rule set version",
    description=__doc__,
)
