"""``python -m sme_complaints mark-overdue [--as-of 2026-10-12]``: remind the departments of the
deadlines falling within the reminder window (催办), mark every open case past its statutory
deadline, escalate it (督办) and publish ``complaints.case.overdue.v1``; the same for the demands ledger
(``complaints.demand.overdue.v1``); prints the counts as JSON.
Run it daily (after midnight, Beijing time)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date

from sme_common.db import Database
from sme_common.runtime import ExtraCommand
from sme_common.settings import ServiceSettings
from sme_complaints.cases.service import mark_overdue, remind_due_soon
from sme_complaints.demands import service as demands

COMMAND = "mark-overdue"


def add_arguments(parse: argparse.ArgumentParser) -> None:
    parse.add_argument("--as-of", type=date.fromisoformat, help="the day judged (default today)")


def run_command(settings: ServiceSettings, args: argparse.Namespace) -> int:
    async def run() -> dict[str, int]:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=2, role=settings.database_role
        )
        try:
            reminded = await remind_due_soon(database, today=args.as_of)
            marked = await mark_overdue(database, today=args.as_of)
            demands_reminded = await demands.remind_due_soon(database, today=args.as_of)
            demands_marked = await demands.mark_overdue(database, today=args.as_of)
            return {
                "reminded": reminded,
                "marked": marked,
                "demands_reminded": demands_reminded,
                "demands_marked": demands_marked,
            }
        finally:
            await database.dispose()

    print(json.dumps(asyncio.run(run())))
    return 0


mark_overdue_command = ExtraCommand(
    run=run_command,
    add_arguments=add_arguments,
    help="mark and escalate the cases past their statutory deadlines",
    description=__doc__,
)
