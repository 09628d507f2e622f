"""Bulk import (a job per file) and export (streamed) of the register."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_registry.bulk import service
from sme_registry.bulk.schemas import ImportJobRead
from sme_registry.enterprises.repository import EnterpriseFilters
from sme_registry.enterprises.router import reader, writer

router = APIRouter(tags=["bulk import and export"])
JobId = Annotated[str, Path(max_length=64)]
Format = Literal["csv", "xlsx"]


@router.get("/imports/template")
async def import_template(
    _principal: Annotated[Principal, Depends(reader)], format: Format = "xlsx"
) -> Response:
    """The import template: one header row of column names (the XLSX adds their Chinese titles)."""
    return Response(
        service.template(format),
        media_type=service.FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="enterprises-template.{format}"'},
    )


@router.post("/imports", status_code=202, response_model=ImportJobRead)
async def start_import(
    request: Request, file: UploadFile, principal: Annotated[Principal, Depends(writer)]
) -> JSONResponse:
    """Upload a CSV or XLSX file of enterprises (and yearly facts). Answers 202 with the job to
    poll. Importing the same file again changes nothing."""
    database = request.app.state.database
    directory = request.app.state.settings.import_dir
    job = await service.create_job(
        database,
        upload=file.file,
        file_name=file.filename or "upload",
        directory=directory,
        actor=principal,
    )
    tasks: set[asyncio.Task[None]] = request.app.state.__dict__.setdefault("import_tasks", set())
    task = asyncio.create_task(service.run_job(database, job_id=job.id, directory=directory))
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"{request.url.path}/{job.id}"},
    )


@router.get("/imports/{job_id}", response_model=ImportJobRead)
async def import_status(
    request: Request, job_id: JobId, principal: Annotated[Principal, Depends(reader)]
) -> ImportJobRead:
    return await service.get_job(request.app.state.database, job_id=job_id, actor=principal)


@router.get("/imports/{job_id}/errors")
async def import_errors(
    request: Request, job_id: JobId, principal: Annotated[Principal, Depends(reader)]
) -> StreamingResponse:
    """Every rejected row with the field, a code and the reason in English and Chinese (CSV)."""
    rows = await service.error_report(request.app.state.database, job_id=job_id, actor=principal)
    return StreamingResponse(
        rows,
        media_type=service.FORMATS["csv"],
        headers={"Content-Disposition": f'attachment; filename="{job_id}-errors.csv"'},
    )


@router.get(
    "/exports/enterprises", dependencies=[audit_read("enterprise_export", reader, id_param=None)]
)
async def export_enterprises(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    format: Format = "csv",
    reporting_unit_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    region_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    industry: Annotated[str | None, Query(pattern=r"^[A-T]([0-9]{2,4})?$")] = None,
    size_class: Literal["micro", "small", "medium", "large"] | None = None,
    tier: Literal["innovative", "specialised", "little_giant"] | None = None,
    q: Annotated[str | None, Query(min_length=2, max_length=50)] = None,
) -> Response:
    """Any search of the register as CSV (streamed) or XLSX, in the import layout with the latest
    facts. Text that a spreadsheet would run as a formula is neutralised."""
    filters = EnterpriseFilters(
        region_code=region_code,
        reporting_unit_code=reporting_unit_code,
        industry=industry,
        size_class=size_class,
        tier=tier,
        q=q,
    )
    database = request.app.state.database
    disposition = {"Content-Disposition": f'attachment; filename="enterprises.{format}"'}
    if format == "csv":
        rows = await service.export_csv(database, actor=principal, filters=filters)
        return StreamingResponse(rows, media_type=service.FORMATS["csv"], headers=disposition)
    path = await service.export_xlsx(database, actor=principal, filters=filters)
    return FileResponse(
        path,
        media_type=service.FORMATS["xlsx"],
        headers=disposition,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
