"""``python -m sme_complaints mark-overdue [--as-of 2026-10-12]``: mark every open case past its
statutory deadline, escalate it (督办) and publish ``complaints.case.overdue.v1``; prints how many
as JSON. Run it daily (after midnight, Beijing time)."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import date

from sme_common.db import Database
from sme_common.runtime import ExtraCommand
from sme_common.settings import ServiceSettings
from sme_complaints.cases.service import mark_overdue

COMMAND = "mark-overdue"


def add_arguments(parse: argparse.ArgumentParser) -> None:
    parse.add_argument("--as-of", type=date.fromisoformat, help="the day judged (default today)")


def run_command(settings: ServiceSettings, args: argparse.Namespace) -> int:
    async def run() -> int:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=2, role=settings.database_role
        )
        try:
            return await mark_overdue(database, today=args.as_of)
        finally:
            await database.dispose()

    print(json.dumps({"marked": asyncio.run(run())}))
    return 0


mark_overdue_command = ExtraCommand(
    run=run_command,
    add_arguments=add_arguments,
    help="mark and escalate the cases past their statutory deadlines",
    description=__doc__,
)
