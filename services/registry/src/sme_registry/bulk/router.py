"""Bulk import (a job per file) and export (streamed) of the register."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from sme_common.api import LOCATION_HEADER
from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_registry.bulk import service
from sme_registry.bulk.schemas import ImportJobRead
from sme_registry.dependencies import reader, writer
from sme_registry.enterprises.schemas import EnterpriseFilters

router = APIRouter(tags=["bulk import and export"])
JobId = Annotated[str, Path(max_length=64)]
Format = Literal["csv", "xlsx"]


SPREADSHEET_CONTENT: dict[str, Any] = {
    media_type: {"schema": {"type": "string", "format": "binary"}}
    for media_type in service.FORMATS.values()
}


@router.get(
    "/imports/template",
    response_class=Response,
    responses={200: {"description": "The template file", "content": SPREADSHEET_CONTENT}},
)
async def get_import_template(
    _principal: Annotated[Principal, Depends(reader)], format: Format = "xlsx"
) -> Response:
    """The import template: one header row of column names (the XLSX adds their Chinese titles)."""
    return Response(
        service.template(format),
        media_type=service.FORMATS[format],
        headers={"Content-Disposition": f'attachment; filename="enterprises-template.{format}"'},
    )


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "/imports",
    status_code=202,
    response_model=ImportJobRead,
    openapi_extra=UPLOAD_BODY,
    responses={
        202: {"headers": LOCATION_HEADER},
        **problems(
            413,
            codes={
                422: ("upload_invalid", "file_required", "file_format_unsupported"),
            },
        ),
    },
)
async def start_import(
    request: Request, principal: Annotated[Principal, Depends(writer)]
) -> JSONResponse:
    """Upload a CSV or XLSX file of enterprises (and yearly facts) as multipart/form-data in the
    field ``file``. Answers 202 with the job to poll; the service's import workers run it.
    Importing the same file again changes nothing."""
    settings = request.app.state.settings
    job = await service.create_job(
        request.app.state.database,
        content_type=request.headers.get("content-type"),
        content_length=request.headers.get("content-length"),
        body=request.stream(),
        settings=settings,
        actor=principal,
    )
    return JSONResponse(
        job.model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"{request.url.path}/{job.id}"},
    )


@router.get(
    "/imports/{job_id}",
    response_model=ImportJobRead,
    responses=problems(404, codes={404: ("import_not_found",)}),
)
async def get_import(
    request: Request, job_id: JobId, principal: Annotated[Principal, Depends(reader)]
) -> ImportJobRead:
    return await service.get_job(request.app.state.database, job_id=job_id, actor=principal)


@router.get(
    "/imports/{job_id}/errors",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The error report (CSV)",
            "content": {service.FORMATS["csv"]: {"schema": {"type": "string"}}},
        },
        **problems(404, codes={404: ("import_not_found",)}),
    },
)
async def get_import_errors(
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
    "/exports/enterprises",
    dependencies=[audit_read("enterprise_export", reader, id_param=None)],
    response_class=Response,
    responses={
        200: {"description": "The enterprises (CSV or XLSX)", "content": SPREADSHEET_CONTENT},
        **problems(codes={422: ("export_too_large", "cursor_invalid", "q_too_short")}),
    },
)
async def export_enterprises(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    filters: Annotated[EnterpriseFilters, Query()],
    format: Format = "csv",
) -> Response:
    """Any search of the register (the same filters as ``GET /enterprises``) as CSV (streamed) or
    XLSX, in the import layout with the latest facts. Text that a spreadsheet would run as a
    formula is neutralised; the file imports back without changing anything."""
    database = request.app.state.database
    disposition = {"Content-Disposition": f'attachment; filename="enterprises.{format}"'}
    if format == "csv":
        rows = await service.export_csv(database, actor=principal, filters=filters)
        return StreamingResponse(rows, media_type=service.FORMATS["csv"], headers=disposition)
    path = await service.export_xlsx(
        database,
        actor=principal,
        filters=filters,
        directory=request.app.state.settings.export_dir,
    )
    return FileResponse(
        path,
        media_type=service.FORMATS["xlsx"],
        headers=disposition,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
