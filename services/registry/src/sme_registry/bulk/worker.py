"""The import workers: background tasks of the registry's workers (``ServiceDefinition.background_tasks``),
not of the API request that uploaded the file.

- ``import_concurrency`` slots per worker process; each claims the oldest pending job with
  ``FOR UPDATE SKIP LOCKED`` and holds a PostgreSQL advisory lock on it while it runs (on the slot's
  own connection), so that any number of worker processes share the queue.
- A job left ``running`` whose lock nobody holds belonged to a worker that died or was stopped: it
  is claimed again and resumes after its last committed chunk.
- Woken by NOTIFY when a job is queued, polling as a fallback.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg
import structlog

from sme_common.db import Database, UnitOfWork
from sme_common.db.engine import to_sync_url
from sme_common.retry import Backoff, repeat_until_stopped
from sme_common.settings import ServiceSettings
from sme_registry.bulk import repository
from sme_registry.bulk.service import ClaimedJob, run_job, scope_of
from sme_registry.config import Settings

log = structlog.get_logger(__name__)
CLAIM_CANDIDATES = 20


async def claim(database: Database, connection: psycopg.AsyncConnection[Any]) -> ClaimedJob | None:
    """The oldest queued job, or a running one whose worker is gone; locked on ``connection``."""
    async with UnitOfWork(database) as uow:
        for job in await repository.pending_jobs(uow.session, limit=CLAIM_CANDIDATES):
            if not await repository.try_lock_job(connection, job.id):
                continue  # a live worker runs it
            try:
                resumed = job.status == "running"
                job.status = "running"
                claimed = ClaimedJob(
                    id=job.id,
                    file_format=job.file_format,
                    scope=scope_of(job.region_scope),
                    actor=job.created_by,
                    processed_rows=job.processed_rows,
                    resumed=resumed,
                )
                await uow.commit()
            except BaseException:
                await repository.unlock_job(connection, job.id)
                raise
            if resumed:
                log.warning("import_resumed", job_id=job.id, after_rows=job.processed_rows)
            return claimed
    return None


class _Slot:
    """One import slot: its own connection (LISTEN for queued jobs, advisory locks on claimed
    ones), opened when needed and dropped after any failure."""

    def __init__(self, settings: Settings, database: Database, stop: asyncio.Event) -> None:
        self.settings = settings
        self.database = database
        self.stop = stop
        self._connection: psycopg.AsyncConnection[Any] | None = None

    async def step(self) -> None:
        """Claim and run one job, or wait until one is queued (or the poll interval passes)."""
        try:
            connection = await self._connect()
            job = await claim(self.database, connection)
            if job is None:
                async for _ in connection.notifies(
                    timeout=self.settings.import_poll_interval_s, stop_after=1
                ):
                    pass
                return
            try:
                await run_job(self.database, job, self.settings, self.stop)
            finally:
                with contextlib.suppress(psycopg.Error):
                    await repository.unlock_job(connection, job.id)
        except BaseException:
            # The connection may be what failed: the next step opens a new one (which also
            # releases any advisory lock the old one held).
            await self.close()
            raise

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg.Error):
                await self._connection.close()
            self._connection = None

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        if self._connection is None:
            url = to_sync_url(self.database.url)
            self._connection = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await repository.listen_for_jobs(self._connection)
        return self._connection


def _worker_failed(exc: BaseException, retry_in_s: float) -> None:
    # The database is away: jobs stay queued or resumable meanwhile.
    log.warning("import_worker_failed", error=repr(exc), retry_in_s=retry_in_s)


async def _run_slot(settings: Settings, database: Database, stop: asyncio.Event) -> None:
    slot = _Slot(settings, database, stop)
    try:
        await repeat_until_stopped(
            slot.step, stop, backoff=Backoff(initial_s=0.5, max_s=10.0), on_retry=_worker_failed
        )
    finally:
        await slot.close()


async def import_workers(
    settings: ServiceSettings, database: Database, stop: asyncio.Event
) -> None:
    """Run ``import_concurrency`` import slots until ``stop`` is set."""
    if not isinstance(settings, Settings):
        raise TypeError("import workers need the registry's Settings")
    await asyncio.gather(
        *(_run_slot(settings, database, stop) for _ in range(settings.import_concurrency))
    )
