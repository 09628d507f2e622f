"""The callback delivery worker (``ServiceDefinition.background_tasks``): every
``callback_interval_s`` it sends what is due (``service.deliver_due``). Any number of workers
may run: a delivery is claimed under ``SKIP LOCKED`` before it is sent."""

from __future__ import annotations

import asyncio

import httpx
import structlog

from sme_common.db import Database
from sme_common.retry import Backoff, repeat_until_stopped, sleep_or_stop
from sme_common.settings import ServiceSettings
from sme_complaints.callbacks.service import deliver_due
from sme_complaints.config import Settings

log = structlog.get_logger(__name__)


def _failed(exc: BaseException, retry_in_s: float) -> None:
    # The database is away: nothing is lost, the deliveries stay queued.
    log.warning("callback_delivery_failed", error=repr(exc), retry_in_s=retry_in_s)


async def callback_delivery(
    settings: ServiceSettings, database: Database, stop: asyncio.Event
) -> None:
    if not isinstance(settings, Settings):
        raise TypeError("the callback worker needs the complaints service's Settings")
    own = settings

    async with httpx.AsyncClient(follow_redirects=False) as client:

        async def step() -> None:
            await deliver_due(database, client=client, settings=own)
            await sleep_or_stop(stop, own.callback_interval_s)

        await repeat_until_stopped(
            step, stop, backoff=Backoff(initial_s=1.0, max_s=60.0), on_retry=_failed
        )
