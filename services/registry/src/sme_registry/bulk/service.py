"""Import jobs (202 + a job to poll; per-row errors to download) and streamed exports."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

import structlog
import xlsxwriter
from sqlalchemy import and_, select, update

from sme_common.audit.context import act_for_job
from sme_common.auth.principal import Principal, RegionScope
from sme_common.db import Database, UnitOfWork, utcnow
from sme_common.errors import InvalidInput, NotFound
from sme_registry.bulk import columns, readers
from sme_registry.bulk.importer import ChunkResult, ValidRow, apply_chunk, validate
from sme_registry.bulk.models import ImportJob, ImportJobError
from sme_registry.bulk.schemas import ImportJobRead
from sme_registry.enterprises import repository
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.service import business_today
from sme_registry.facts.models import EnterpriseFacts

log = structlog.get_logger(__name__)
CHUNK_ROWS = 5_000
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
    database: Database, *, upload: BinaryIO, file_name: str, directory: Path, actor: Principal
) -> ImportJobRead:
    file_format = file_format_of(file_name)
    job_id = f"import_{secrets.token_hex(8)}"
    path = directory / f"{job_id}.{file_format}"
    digest = await asyncio.to_thread(_store, upload, path)
    async with UnitOfWork(database) as uow:
        job = ImportJob(
            id=job_id,
            status="queued",
            file_name=file_name[:200],
            file_format=file_format,
            file_sha256=digest,
            created_at=utcnow(),
            created_by=actor.subject,
            region_scope=_scope_text(actor.region_scope()),
        )
        uow.session.add(job)
        await uow.commit()
        return ImportJobRead.model_validate(job)


def _store(upload: BinaryIO, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("wb") as target:
        for block in iter(lambda: upload.read(1 << 20), b""):
            digest.update(block)
            target.write(block)
    return digest.hexdigest()


def _scope_text(scope: RegionScope) -> str:
    return f"{scope.level.value}:{scope.code or ''}"


def _scope_of(text: str) -> RegionScope:
    from sme_common.auth.principal import RegionLevel

    level, _, code = text.partition(":")
    return RegionScope(RegionLevel(level), code or None)


def _chunks(
    rows: Iterator[tuple[int, dict[str, Any]]],
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


def _prepare(
    raw: list[tuple[int, dict[str, Any]]], scope: RegionScope, today: date
) -> tuple[list[ValidRow], list[tuple[int, columns.CellError]]]:
    parsed: list[tuple[int, dict[str, Any]]] = []
    errors: list[tuple[int, columns.CellError]] = []
    for number, record in raw:
        values, cell_errors = columns.parse_cells(record)
        if cell_errors:
            errors.extend((number, e) for e in cell_errors)
        else:
            parsed.append((number, values))
    valid, rule_errors = validate(parsed, scope, today)
    return valid, errors + rule_errors


async def run_job(database: Database, *, job_id: str, directory: Path) -> None:
    """Process a queued job chunk by chunk; each chunk is one transaction."""
    async with UnitOfWork(database) as uow:
        job = await uow.session.get(ImportJob, job_id, with_for_update=True)
        if job is None or job.status != "queued":
            return
        job.status = "running"
        path = directory / f"{job.id}.{job.file_format}"
        file_format, scope, actor = job.file_format, _scope_of(job.region_scope), job.created_by
        act_for_job(actor)  # the audit's actor when no request handed one over (a worker)
        await uow.commit()
    try:
        total = await asyncio.to_thread(readers.count_rows, path, file_format)
        await _update(database, job_id, total_rows=total)
        chunks = _chunks(readers.read_rows(path, file_format))
        today = business_today()

        def read_and_prepare() -> (
            tuple[int, list[ValidRow], list[tuple[int, columns.CellError]]] | None
        ):
            raw = next(chunks, None)
            return None if raw is None else (len(raw), *_prepare(raw, scope, today))

        # The next chunk is read and validated in a thread while this one is written.
        upcoming = asyncio.create_task(asyncio.to_thread(read_and_prepare))
        while (prepared := await upcoming) is not None:
            upcoming = asyncio.create_task(asyncio.to_thread(read_and_prepare))
            rows, valid, errors = prepared
            async with UnitOfWork(database) as uow:
                result = await apply_chunk(
                    uow.session, valid, actor=actor, now=utcnow(), today=today
                )
                result.errors.extend(errors)
                await _record_chunk(uow, job_id, result, rows)
                await uow.commit()
        await _finish(database, job_id, failure=None)
    except readers.FileFormatError as exc:
        await _finish(database, job_id, failure=f"{exc.detail} / {exc.detail_zh}")
    except Exception as exc:
        log.exception("import_failed", job_id=job_id)
        await _finish(database, job_id, failure=f"internal error: {type(exc).__name__}")
    finally:
        path.unlink(missing_ok=True)


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
    await uow.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            processed_rows=ImportJob.processed_rows + rows,
            created_rows=ImportJob.created_rows + result.created,
            updated_rows=ImportJob.updated_rows + result.updated,
            unchanged_rows=ImportJob.unchanged_rows + result.unchanged,
            error_rows=ImportJob.error_rows + len({n for n, _ in result.errors}),
        )
    )


async def _update(database: Database, job_id: str, **values: Any) -> None:
    async with UnitOfWork(database) as uow:
        await uow.session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))
        await uow.commit()


async def _finish(database: Database, job_id: str, *, failure: str | None) -> None:
    async with UnitOfWork(database) as uow:
        job = await uow.session.get(ImportJob, job_id, with_for_update=True)
        if job is None:
            return
        job.finished_at = utcnow()
        job.failure = failure
        job.status = (
            "failed" if failure else "completed_with_errors" if job.error_rows else "completed"
        )
        await uow.commit()


async def get_job(database: Database, *, job_id: str, actor: Principal) -> ImportJobRead:
    async with UnitOfWork(database) as uow:
        job = await uow.session.get(ImportJob, job_id)
        if job is None or not _may_see(job, actor):
            raise NotFound(
                "import_not_found", f"No import job {job_id}", "没有该导入任务", field="job_id"
            )
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
            result = await session.stream(
                select(ImportJobError)
                .where(ImportJobError.job_id == job_id)
                .order_by(ImportJobError.row_number, ImportJobError.field)
                .execution_options(yield_per=1000)
            )
            async for (error,) in result:
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


def _export_query(actor: Principal, filters: repository.EnterpriseFilters) -> Any:
    return (
        select(Enterprise, EnterpriseFacts)
        .outerjoin(
            EnterpriseFacts,
            and_(
                EnterpriseFacts.uscc == Enterprise.uscc,
                EnterpriseFacts.year == Enterprise.size_class_year,
            ),
        )
        .where(
            repository.in_scope(actor.region_scope()),
            *repository._filter_clauses(filters, business_today()),
        )
        .order_by(Enterprise.uscc)
        .execution_options(yield_per=2000)
    )


def _export_values(enterprise: Enterprise, facts: EnterpriseFacts | None) -> list[Any]:
    values: list[Any] = []
    for column in columns.IMPORT_COLUMNS:
        if column in columns.ENTERPRISE_COLUMNS:
            value = getattr(enterprise, column)
            values.append(value.isoformat() if isinstance(value, date) else value)
        elif facts is None:
            values.append(None)
        elif column.endswith("_yuan"):
            fen = getattr(facts, column.removesuffix("_yuan") + "_fen")
            values.append(
                None
                if fen is None
                else f"{fen // 100}.{fen % 100:02d}"
                if fen >= 0
                else f"-{(-fen) // 100}.{(-fen) % 100:02d}"
            )
        else:
            values.append(getattr(facts, column))
    return values


async def export_csv(
    database: Database, *, actor: Principal, filters: repository.EnterpriseFilters
) -> AsyncIterator[bytes]:
    async def rows() -> AsyncIterator[bytes]:
        yield _csv_line(list(columns.IMPORT_COLUMNS), bom=True)
        async with database.sessionmaker() as session:
            result = await session.stream(_export_query(actor, filters))
            async for enterprise, facts in result:
                yield _csv_line(_export_values(enterprise, facts))

    return rows()


async def export_xlsx(
    database: Database, *, actor: Principal, filters: repository.EnterpriseFilters
) -> Path:
    """Written to a temporary file in constant memory, then streamed and removed by the caller."""
    handle, name = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    workbook = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = workbook.add_worksheet("enterprises")
    sheet.write_row(0, 0, columns.IMPORT_COLUMNS)
    row_number = 0
    async with database.sessionmaker() as session:
        result = await session.stream(_export_query(actor, filters))
        async for enterprise, facts in result:
            row_number += 1
            if row_number > XLSX_MAX_ROWS:
                await asyncio.to_thread(workbook.close)
                await asyncio.to_thread(path.unlink, missing_ok=True)
                raise InvalidInput(
                    "export_too_large",
                    "more rows than a worksheet holds; use CSV",
                    "行数超过 Excel 工作表上限，请导出 CSV",
                    field="format",
                )
            sheet.write_row(
                row_number, 0, [columns.neutralise(v) for v in _export_values(enterprise, facts)]
            )
    await asyncio.to_thread(workbook.close)
    return path
