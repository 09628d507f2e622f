"""The sweep of certificate triggers awaiting their enterprise: a command
(``python -m sme_funding evaluate-pending``) and a background task of the worker, every few
minutes. The consumer ``funding.enterprise-credit`` evaluates them as soon as registry announces
the enterprise; the sweep is the safety net (an enterprise funding's directory learnt by a
``rebuild-directory``, or an announcement that came before the certificate)."""

from __future__ import annotations

import asyncio

import structlog

from sme_common.db import Database
from sme_common.retry import Backoff, repeat_until_stopped, sleep_or_stop
from sme_common.settings import ServiceSettings
from sme_funding.entitlements import service

log = structlog.get_logger(__name__)
SWEEP_INTERVAL_S = 300.0


def _failed(exc: BaseException, retry_in_s: float) -> None:
    # The database is away: nothing is lost, the next sweep evaluates what is waiting.
    log.warning("entitlements_pending_sweep_failed", error=repr(exc), retry_in_s=retry_in_s)


async def evaluate_pending_task(
    _settings: ServiceSettings, database: Database, stop: asyncio.Event
) -> None:
    async def step() -> None:
        report = await service.evaluate_pending(database)
        if report.evaluated:
            log.info("entitlements_pending_evaluated", **report.model_dump())
        await sleep_or_stop(stop, SWEEP_INTERVAL_S)

    await repeat_until_stopped(
        step, stop, backoff=Backoff(initial_s=1.0, max_s=60.0), on_retry=_failed
    )


def evaluate_pending_command(settings: ServiceSettings) -> int:
    """Evaluate once every trigger whose enterprise funding's directory knows now; print the
    report (JSON)."""

    async def once() -> str:
        database = Database.from_url(
            settings.database_url.get_secret_value(), pool_size=1, role=settings.database_role
        )
        database.public_base_url = settings.public_base_url
        try:
            return (await service.evaluate_pending(database)).model_dump_json()
        finally:
            await database.dispose()

    print(asyncio.run(once()))  # noqa: T201
    return 0
