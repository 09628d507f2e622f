"""Queries of the import jobs (the queue the workers share) and of the export. The rows of a chunk
are written by ``bulk.importer``."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import and_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_registry.bulk.models import ImportJob, ImportJobError
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.schemas import EnterpriseFilters
from sme_registry.facts.models import EnterpriseFacts

JOB_CHANNEL = "registry_import_job"
"""NOTIFY channel that wakes an idle import worker when a job is queued."""


async def announce_job(session: AsyncSession) -> None:
    """Wake an idle import worker once the transaction commits (it polls as well)."""
    await session.execute(text(f"NOTIFY {JOB_CHANNEL}"))


async def listen_for_jobs(connection: psycopg.AsyncConnection[Any]) -> None:
    await connection.execute(f"LISTEN {JOB_CHANNEL}")


async def job(session: AsyncSession, job_id: str, *, for_update: bool = False) -> ImportJob | None:
    return await session.get(ImportJob, job_id, with_for_update=for_update)


async def pending_jobs(session: AsyncSession, *, limit: int) -> Sequence[ImportJob]:
    """The oldest queued or running jobs no other transaction holds, locked."""
    query = (
        select(ImportJob)
        .where(ImportJob.status.in_(("queued", "running")))
        .order_by(ImportJob.created_at, ImportJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.scalars(query)).all()


def job_lock_key(job_id: str) -> int:
    return zlib.crc32(f"import-job:{job_id}".encode())


async def try_lock_job(connection: psycopg.AsyncConnection[Any], job_id: str) -> bool:
    """Take the job's advisory lock on ``connection`` (held while a worker runs it)."""
    cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (job_lock_key(job_id),))
    row = await cursor.fetchone()
    return bool(row and row[0])


async def unlock_job(connection: psycopg.AsyncConnection[Any], job_id: str) -> None:
    await connection.execute("SELECT pg_advisory_unlock(%s)", (job_lock_key(job_id),))


async def set_job(session: AsyncSession, job_id: str, **values: Any) -> None:
    await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


async def count_chunk(
    session: AsyncSession,
    job_id: str,
    *,
    rows: int,
    created: int,
    updated: int,
    unchanged: int,
    error_rows: int,
) -> None:
    """Add one chunk's counts to the job's progress."""
    await set_job(
        session,
        job_id,
        processed_rows=ImportJob.processed_rows + rows,
        created_rows=ImportJob.created_rows + created,
        updated_rows=ImportJob.updated_rows + updated,
        unchanged_rows=ImportJob.unchanged_rows + unchanged,
        error_rows=ImportJob.error_rows + error_rows,
    )


async def error_rows(session: AsyncSession, job_id: str) -> AsyncIterator[ImportJobError]:
    """The job's row errors by row and field, streamed."""
    result = await session.stream(
        select(ImportJobError)
        .where(ImportJobError.job_id == job_id)
        .order_by(ImportJobError.row_number, ImportJobError.field)
        .execution_options(yield_per=1000)
    )
    async for (error,) in result:
        yield error


async def export_rows(
    session: AsyncSession, scope: RegionScope, filters: EnterpriseFilters, today: date
) -> AsyncIterator[tuple[Enterprise, EnterpriseFacts | None]]:
    """The enterprises a search finds, in USCC order, each with the facts of the year its size
    class was decided on, streamed."""
    result = await session.stream(
        select(Enterprise, EnterpriseFacts)
        .outerjoin(
            EnterpriseFacts,
            and_(
                EnterpriseFacts.uscc == Enterprise.uscc,
                EnterpriseFacts.year == Enterprise.size_class_year,
            ),
        )
        .where(enterprises.in_scope(scope), *enterprises.filter_clauses(filters, today))
        .order_by(Enterprise.uscc)
        .execution_options(yield_per=2000)
    )
    async for enterprise, facts in result:
        yield enterprise, facts
