"""``python -m sme_funding ledger-check``: prints the ledger's figures; exit 1 on any difference."""

from __future__ import annotations

import asyncio
import json

from sme_common.db.engine import Database
from sme_common.settings import ServiceSettings
from sme_funding.ledger.service import run_check


def ledger_check_command(settings: ServiceSettings) -> int:
    async def once() -> dict[str, object]:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=1, role=settings.database_role
        )
        try:
            return (await run_check(database)).as_dict()
        finally:
            await database.dispose()

    report = asyncio.run(once())
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0 if report["ok"] else 1
