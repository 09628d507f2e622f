"""Import jobs (202 + a job to poll; per-row errors to download) and streamed exports."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg
import structlog
import xlsxwriter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.audit.context import act_for_job
from sme_common.auth.principal import Principal, RegionLevel, RegionScope
from sme_common.db import Database, UnitOfWork
from sme_common.db.engine import is_transient_failure
from sme_common.errors import InvalidInput
from sme_common.problems import Resource, not_found
from sme_registry.bulk import columns, readers, repository, upload
from sme_registry.bulk.importer import ChunkResult, ValidRow, apply_chunk, validate
from sme_registry.bulk.models import ImportJob, ImportJobError
from sme_registry.bulk.schemas import ImportJobRead
from sme_registry.config import Settings
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.schemas import EnterpriseFilters
from sme_registry.enterprises.service import searchable
from sme_registry.facts.models import EnterpriseFacts

log = structlog.get_logger(__name__)
IMPORT_JOB = Resource("import", "import job {key}", "导入任务 {key}")
XLSX_MAX_ROWS = 1_048_575
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_format_of(file_name: str) -> str:
    suffix = Path(file_name).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(
            "file_format_unsupported",
            "upload a .csv or .xlsx file",
            "请上传 .csv 或 .xlsx 文件",
            field="file",
        )
    return suffix


async def create_job(
    database: Database,
    *,
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
    settings: Settings,
    actor: Principal,
) -> ImportJobRead:
    """Store the upload under the import directory and queue a job for the import workers."""
    job_id = f"import_{secrets.token_hex(8)}"
    partial = settings.import_dir / f"{job_id}.part"
    stored = await upload.receive(
        content_type,
        content_length,
        body,
        target=partial,
        limit=settings.import_max_upload_bytes,
    )
    return await _queue(database, job_id, partial, stored, settings=settings, actor=actor)


async def queue_file(
    database: Database, *, path: Path, settings: Settings, actor: Principal
) -> ImportJobRead:
    """Queue a file already on this machine, as if ``actor`` had uploaded it (benchmarks)."""
    job_id = f"import_{secrets.token_hex(8)}"
    partial = settings.import_dir / f"{job_id}.part"
    stored = await asyncio.to_thread(upload.copy_file, path, partial)
    return await _queue(database, job_id, partial, stored, settings=settings, actor=actor)


async def _queue(
    database: Database,
    job_id: str,
    partial: Path,
    stored: upload.StoredUpload,
    *,
    settings: Settings,
    actor: Principal,
) -> ImportJobRead:
    try:
        file_format = file_format_of(stored.file_name)
    except InvalidInput:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(partial.rename, upload_path(settings.import_dir, job_id, file_format))
    async with UnitOfWork(database) as uow:
        job = ImportJob(
            id=job_id,
            status="queued",
            file_name=stored.file_name,
            file_format=file_format,
            file_sha256=stored.sha256,
            created_at=clock.now(),
            created_by=actor.subject,
            region_scope=_scope_text(actor.region_scope()),
        )
        uow.session.add(job)
        await repository.announce_job(uow.session)
        await uow.commit()
        return ImportJobRead.model_validate(job)


def upload_path(directory: Path, job_id: str, file_format: str) -> Path:
    return directory / f"{job_id}.{file_format}"


def _scope_text(scope: RegionScope) -> str:
    return f"{scope.level.value}:{scope.code or ''}"


def scope_of(stored: str) -> RegionScope:
    level, _, code = stored.partition(":")
    return RegionScope(RegionLevel(level), code or None)


def _chunks(
    rows: Iterator[tuple[int, dict[str, Any]]], size: int
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _prepare(
    raw: list[tuple[int, dict[str, Any]]], scope: RegionScope, today: date
) -> tuple[list[ValidRow], list[tuple[int, columns.CellError]]]:
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, columns.CellError]] = []
    for number, record in raw:
        if readers.UNREADABLE_ROW in record:
            errors.append((number, UNREADABLE))
            continue
        values, cell_errors = columns.parse_cells(record)
        if cell_errors:
            errors.extend((number, e) for e in cell_errors)
        else:
            parsed.append((number, values))
    valid, rule_errors = validate(parsed, scope, today)
    return valid, errors + rule_errors


UNREADABLE = columns.CellError(
    "row",
    "row_unreadable",
    "the row cannot be read (a cell longer than 131,072 characters or broken quoting)",
    "该行无法读取（单元格超过 131072 个字符或引号不匹配）",
)


@dataclass(frozen=True)
class ClaimedJob:
    id: str
    file_format: str
    scope: RegionScope
    actor: str
    processed_rows: int
    resumed: bool


async def run_job(
    database: Database, job: ClaimedJob, settings: Settings, stop: asyncio.Event
) -> None:
    """Process a claimed job chunk by chunk; each chunk is one transaction that also records the
    progress, so a job interrupted between chunks resumes after the last committed one. Returns
    early, leaving the job running for the next worker, when ``stop`` is set."""
    act_for_job(job.actor)  # the audit's actor when no request handed one over (a worker)
    path = upload_path(settings.import_dir, job.id, job.file_format)
    try:
        if not path.exists():
            raise readers.FileFormatError(
                "the uploaded file is no longer on the server; upload it again",
                "上传的文件已不在服务器上，请重新上传",
                code="file_missing",
            )
        if job.file_format == "xlsx":
            readers.check_xlsx_size(path, settings.import_max_xlsx_uncompressed_bytes)
        total = await asyncio.to_thread(readers.count_rows, path, job.file_format)
        await _update(database, job.id, total_rows=total)
        # Rows already committed by an earlier run of this job are skipped, not applied again.
        rows = islice(readers.read_rows(path, job.file_format), job.processed_rows, None)
        chunks = _chunks(rows, settings.import_chunk_rows)
        today = clock.business_today()

        def read_and_prepare() -> (
            tuple[int, list[ValidRow], list[tuple[int, columns.CellError]]] | None
        ):
            raw = next(chunks, None)
            return None if raw is None else (len(raw), *_prepare(raw, job.scope, today))

        # The next chunk is read and validated in a thread while this one is written.
        upcoming = asyncio.create_task(asyncio.to_thread(read_and_prepare))
        try:
            while (prepared := await upcoming) is not None:
                if stop.is_set():
                    log.info("import_paused", job_id=job.id)
                    return
                upcoming = asyncio.create_task(asyncio.to_thread(read_and_prepare))
                count, valid, errors = prepared
                await _write_chunk(database, job, valid, errors, count, today)
        finally:
            upcoming.cancel()
        await _finish(database, job.id)
    except readers.FileFormatError as exc:
        await _finish(database, job.id, code=exc.code, failure=f"{exc.detail} / {exc.detail_zh}")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_transient_failure(exc):
            # The database went away: the job stays running, and once this worker lets go of
            # it a worker resumes it after its last committed chunk.
            raise
        # Never the caller's data (that becomes row errors): say so without internals, and log
        # the error under an id the caller can quote.
        error_id = secrets.token_hex(6)
        log.exception("import_failed", job_id=job.id, error_id=error_id)
        await _finish(
            database,
            job.id,
            code="internal_error",
            failure=f"the import stopped on an internal error (reference {error_id}); rows "
            f"before it are kept / 导入因内部错误中止（编号 {error_id}），此前的行已保存",
        )
    path.unlink(missing_ok=True)


CHUNK_ATTEMPTS = 3


async def _write_chunk(
    database: Database,
    job: ClaimedJob,
    valid: list[ValidRow],
    errors: list[tuple[int, columns.CellError]],
    count: int,
    today: date,
) -> None:
    """One chunk and its progress in one transaction. An enterprise registered through the API
    between our read and our write makes the insert collide: the chunk is then simply applied
    again, and that row becomes an update (or stays unchanged)."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            async with UnitOfWork(database) as uow:
                result = await apply_chunk(
                    uow.session,
                    valid,
                    scope=job.scope,
                    actor=job.actor,
                    now=clock.now(),
                    today=today,
                    public_base_url=database.public_base_url,
                )
                result.errors.extend(errors)
                await _record_chunk(uow, job.id, result, count)
                await uow.commit()
                return
        except (IntegrityError, psycopg.errors.UniqueViolation):
            if attempt == CHUNK_ATTEMPTS:
                raise
            log.info("import_chunk_retried", job_id=job.id, attempt=attempt)


async def _record_chunk(uow: UnitOfWork, job_id: str, result: ChunkResult, rows: int) -> None:
    seen: set[tuple[int, str]] = set()
    for number, error in result.errors:
        if (number, error.field) in seen:
            continue
        seen.add((number, error.field))
        uow.session.add(
            ImportJobError(
                job_id=job_id,
                row_number=number,
                field=error.field,
                code=error.code,
                detail=error.detail,
                detail_zh=error.detail_zh,
            )
        )
    await repository.count_chunk(
        uow.session,
        job_id,
        rows=rows,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        error_rows=len({n for n, _ in result.errors}),
    )


async def _update(database: Database, job_id: str, **values: Any) -> None:
    async with UnitOfWork(database) as uow:
        await repository.set_job(uow.session, job_id, **values)
        await uow.commit()


async def _finish(
    database: Database, job_id: str, *, code: str | None = None, failure: str | None = None
) -> None:
    async with UnitOfWork(database) as uow:
        job = await repository.job(uow.session, job_id, for_update=True)
        if job is None:
            return
        job.finished_at = clock.now()
        job.failure, job.failure_code = failure, code
        job.status = (
            "failed" if failure else "completed_with_errors" if job.error_rows else "completed"
        )
        await uow.commit()


async def get_job(database: Database, *, job_id: str, actor: Principal) -> ImportJobRead:
    async with UnitOfWork(database) as uow:
        job = await repository.job(uow.session, job_id)
        if job is None or not _may_see(job, actor):
            raise not_found(IMPORT_JOB, job_id, field="job_id")
        return ImportJobRead.model_validate(job)


def _may_see(job: ImportJob, actor: Principal) -> bool:
    return job.created_by == actor.subject or actor.has_role("platform_admin")


async def error_report(
    database: Database, *, job_id: str, actor: Principal
) -> AsyncIterator[bytes]:
    await get_job(database, job_id=job_id, actor=actor)

    async def rows() -> AsyncIterator[bytes]:
        yield _csv_line(["row_number", "field", "code", "detail", "detail_zh"], bom=True)
        async with database.sessionmaker() as session:
            async for error in repository.error_rows(session, job_id):
                yield _csv_line(
                    [error.row_number, error.field, error.code, error.detail, error.detail_zh]
                )

    return rows()


def _csv_line(values: list[Any], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([columns.neutralise(v) for v in values])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def template(file_format: str) -> bytes:
    if file_format == "csv":
        return _csv_line(list(columns.IMPORT_COLUMNS), bom=True)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("enterprises")
    sheet.write_row(0, 0, columns.IMPORT_COLUMNS)
    sheet.write_row(1, 0, [columns.TITLES_ZH[c] for c in columns.IMPORT_COLUMNS])
    workbook.close()
    return buffer.getvalue()


def _export_values(enterprise: Enterprise, facts: EnterpriseFacts | None) -> list[Any]:
    """One row in the import layout: numbers stay numbers (yuan as exact decimals), so that the
    file imports back unchanged."""
    values: list[Any] = []
    for column in columns.IMPORT_COLUMNS:
        if column in columns.ENTERPRISE_COLUMNS:
            values.append(getattr(enterprise, column))
        elif facts is None:
            values.append(None)
        elif column.endswith("_yuan"):
            fen = getattr(facts, column.removesuffix("_yuan") + "_fen")
            values.append(None if fen is None else columns.fen_to_yuan(fen))
        else:
            values.append(getattr(facts, column))
    return values


def _csv_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _exported(
    session: AsyncSession, actor: Principal, filters: EnterpriseFilters
) -> AsyncIterator[tuple[Enterprise, EnterpriseFacts | None]]:
    """What an export of ``filters`` holds: what the same search finds (its name fragment
    compared as the search compares it)."""
    return repository.export_rows(
        session, actor.region_scope(), searchable(filters), clock.business_today()
    )


async def export_csv(
    database: Database, *, actor: Principal, filters: EnterpriseFilters
) -> AsyncIterator[bytes]:
    searchable(filters)  # a refused name fragment is a 422 before the answer starts

    async def rows() -> AsyncIterator[bytes]:
        yield _csv_line(list(columns.IMPORT_COLUMNS), bom=True)
        async with database.sessionmaker() as session:
            async for enterprise, facts in _exported(session, actor, filters):
                yield _csv_line([_csv_value(v) for v in _export_values(enterprise, facts)])

    return rows()


async def export_xlsx(
    database: Database,
    *,
    actor: Principal,
    filters: EnterpriseFilters,
    directory: Path,
) -> Path:
    """Written to a file under ``directory`` in constant memory, then streamed and removed by the
    caller. Amounts, counts and dates are typed cells; text that looks like a formula is stored as
    text with Excel's quote prefix (the value itself is unchanged)."""
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    path = directory / f"export_{secrets.token_hex(8)}.xlsx"
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    as_text = workbook.add_format({"quote_prefix": True})
    as_yuan = workbook.add_format({"num_format": "0.00"})
    as_date = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("enterprises")
    sheet.write_row(0, 0, columns.IMPORT_COLUMNS)
    row_number = 0
    try:
        async with database.sessionmaker() as session:
            async for enterprise, facts in _exported(session, actor, filters):
                row_number += 1
                if row_number > XLSX_MAX_ROWS:
                    raise InvalidInput(
                        "export_too_large",
                        "more rows than a worksheet holds; use CSV",
                        "行数超过 Excel 工作表上限，请导出 CSV",
                        field="format",
                    )
                for column, value in enumerate(_export_values(enterprise, facts)):
                    if isinstance(value, Decimal):
                        sheet.write_number(row_number, column, float(value), as_yuan)
                    elif isinstance(value, date):
                        sheet.write_datetime(row_number, column, value, as_date)
                    elif isinstance(value, str) and columns.neutralise(value) != value:
                        sheet.write_string(row_number, column, value, as_text)
                    else:
                        sheet.write(row_number, column, value)
    except BaseException:
        await asyncio.to_thread(workbook.close)
        await asyncio.to_thread(path.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(workbook.close)
    return path
