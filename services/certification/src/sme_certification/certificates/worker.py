"""The certificate lifecycle jobs, run by the service's workers once every
``lifecycle_interval_s`` (``ServiceDefinition.background_tasks``) and on demand with
``python -m sme_certification certificate-lifecycle``: re-review alerts, expiry on the day after
the last valid day, revocation of re-reviews never filed (``service.run_lifecycle``). Each run does
what is due on the business day (Asia/Shanghai), so any number of workers may run it: a certificate
is changed under its row lock, after checking it is still due."""

from __future__ import annotations

import asyncio
import json

import structlog

from sme_certification.certificates.service import run_lifecycle
from sme_certification.config import Settings
from sme_common.db import Database
from sme_common.retry import Backoff, repeat_until_stopped, sleep_or_stop
from sme_common.settings import ServiceSettings

log = structlog.get_logger(__name__)


def _settings(settings: ServiceSettings) -> Settings:
    if not isinstance(settings, Settings):
        raise TypeError("the certificate lifecycle needs the certification service's Settings")
    return settings


def _failed(exc: BaseException, retry_in_s: float) -> None:
    # The database is away: nothing is lost, the next run does what is due.
    log.warning("certificate_lifecycle_failed", error=repr(exc), retry_in_s=retry_in_s)


async def certificate_lifecycle(
    settings: ServiceSettings, database: Database, stop: asyncio.Event
) -> None:
    own = _settings(settings)

    async def step() -> None:
        await run_lifecycle(database, lead_days=own.expiry_alert_lead_days)
        await sleep_or_stop(stop, own.lifecycle_interval_s)

    await repeat_until_stopped(
        step, stop, backoff=Backoff(initial_s=1.0, max_s=60.0), on_retry=_failed
    )


def certificate_lifecycle_command(settings: ServiceSettings) -> int:
    """Run the lifecycle jobs once for today and print what they did."""
    own = _settings(settings)

    async def once() -> str:
        database = Database.from_url(
            own.database_url.get_secret_value(), pool_size=1, role=own.database_role
        )
        database.public_base_url = own.public_base_url
        try:
            report = await run_lifecycle(database, lead_days=own.expiry_alert_lead_days)
            return report.model_dump_json()
        finally:
            await database.dispose()

    print(json.dumps(json.loads(asyncio.run(once())), ensure_ascii=False))  # noqa: T201
    return 0
