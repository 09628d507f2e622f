"""The scheduled list push (名单推送, monthly by default: ``lists_schedule``): a background task of
the worker that checks every hour whether the current period's snapshots are made, and the command
``python -m sme_finance_matching lists-publish`` that runs it once and prints the report. The
enterprises' pushes of the period (``pushes``) follow the institutions' snapshots, on the same
schedule: seed 000 (十三) shares the list “定期推送给金融机构和专精特新企业”."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from pathlib import Path

import structlog

from sme_common.db import Database
from sme_common.retry import Backoff, repeat_until_stopped, sleep_or_stop
from sme_common.settings import ServiceSettings
from sme_finance_matching.lists import service
from sme_finance_matching.lists.domain import Schedule
from sme_finance_matching.lists.signing import signer_for
from sme_finance_matching.pushes import service as pushes

log = structlog.get_logger(__name__)
CHECK_INTERVAL_S = 3600.0


def _options(settings: ServiceSettings) -> tuple[Schedule, Path | None]:
    schedule = getattr(settings, "lists_schedule", Schedule.MONTHLY)
    return Schedule(schedule), getattr(settings, "lists_signing_key_file", None)


def _failed(exc: BaseException, retry_in_s: float) -> None:
    log.warning("lists_publish_failed", error=repr(exc), retry_in_s=retry_in_s)


async def lists_publish_task(
    settings: ServiceSettings, database: Database, stop: asyncio.Event
) -> None:
    schedule, key_file = _options(settings)

    async def step() -> None:
        report = await service.publish_due(database, schedule=schedule, signer=signer_for(key_file))
        if report.published:
            log.info("lists_published", **asdict(report))
        pushed = await pushes.publish_due(database, schedule=schedule)
        if pushed.published:
            log.info("enterprise_pushes_published", **asdict(pushed))
        await sleep_or_stop(stop, CHECK_INTERVAL_S)

    await repeat_until_stopped(
        step, stop, backoff=Backoff(initial_s=5.0, max_s=600.0), on_retry=_failed
    )


def lists_publish_command(settings: ServiceSettings) -> int:
    """Make the current period's scheduled list snapshots that are missing, then the enterprises'
    pushes; print the report."""
    schedule, key_file = _options(settings)

    async def once() -> str:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=1, role=settings.database_role
        )
        try:
            report = await service.publish_due(
                database, schedule=schedule, signer=signer_for(key_file)
            )
            pushed = await pushes.publish_due(database, schedule=schedule)
            return json.dumps({**asdict(report), "enterprise_pushes": asdict(pushed)})
        finally:
            await database.dispose()

    print(asyncio.run(once()))  # noqa: T201
    return 0
