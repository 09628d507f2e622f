from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from sme_certification.dependencies import own_reader, province_writer, reader
from sme_certification.evaluations import service
from sme_certification.evaluations.schemas import (
    DOCUMENT_ID_PATTERN,
    EvaluationHistory,
    RuleDocumentList,
    RuleDocumentRead,
    RuleDocumentUpload,
    RuleDocumentVersionRead,
)
from sme_common.api import UsccPath
from sme_common.auth import Principal
from sme_common.errors import InvalidInput, problems

router = APIRouter(tags=["rule sets and evaluations"])

DocumentIdPath = Annotated[
    str, Path(pattern=DOCUMENT_ID_PATTERN, description="the document's id (national-2026-2)")
]
RunIdPath = Annotated[str, Path(pattern=r"^run_[0-9a-f]{16}$", description="a run's id")]
OnQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="the day whose documents in force are shown, YYYY-MM-DD (default today)",
        json_schema_extra={"format": "date"},
    ),
]


def _day(on: str | None) -> date | None:
    """A calendar day written ISO 8601 (lax parsing would read ``0`` as 1970-01-01)."""
    if on is None:
        return None
    try:
        return date.fromisoformat(on)
    except ValueError:
        raise InvalidInput(
            "date_invalid", f"{on} is not a calendar day", f"{on} 不是有效日期", field="on"
        ) from None


@router.get(
    "/rule-documents",
    response_model=RuleDocumentList,
    responses=problems(codes={422: ("date_invalid",)}),
    dependencies=[Depends(reader)],
)
async def list_rule_documents(request: Request, on: OnQuery = None) -> RuleDocumentList:
    """The rule documents in force on a day: national rule sets, provincial overlays and the
    selection, each with its version, fingerprint, origin (shipped or an officer's version) and
    how many of its rules are still marked unverified."""
    return await service.list_documents(request.app.state.database, _day(on))


@router.get(
    "/rule-documents/{document_id}",
    response_model=RuleDocumentRead,
    responses=problems(404, codes={404: ("rule_document_not_found",), 422: ("date_invalid",)}),
    dependencies=[Depends(reader)],
)
async def get_rule_document(
    request: Request,
    document_id: DocumentIdPath,
    on: OnQuery = None,
) -> RuleDocumentRead:
    """The whole document in force on a day (JSON, as the engine reads it) and its stored versions."""
    return await service.get_document(request.app.state.database, document_id, _day(on))


@router.post(
    "/rule-documents/{document_id}/versions",
    status_code=201,
    response_model=RuleDocumentVersionRead,
    responses=problems(
        403,
        404,
        409,
        codes={
            403: ("region_forbidden",),
            404: ("rule_document_not_found",),
            409: ("rule_document_version_exists",),
            422: (
                "rule_document_invalid",
                "rule_document_id_mismatch",
                "rule_document_version_invalid",
                "rule_document_kind_changed",
                "effective_from_in_past",
            ),
        },
    ),
)
async def upload_rule_document_version(
    request: Request,
    document_id: DocumentIdPath,
    body: RuleDocumentUpload,
    principal: Annotated[Principal, Depends(province_writer)],
) -> RuleDocumentVersionRead:
    """A new version of a rule document, in force from ``effective_from`` (today or later): how
    an officer corrects an UNVERIFIED number without a release. The whole catalog is compiled with
    it first; a bad rule is refused naming its path (``document.<path>``). Overlays only for the
    officer's own province."""
    return await service.upload_version(request.app.state.database, document_id, body, principal)


@router.get(
    "/enterprises/{uscc}/evaluations",
    response_model=EvaluationHistory,
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def list_enterprise_evaluations(
    request: Request,
    uscc: UsccPath,
    principal: Annotated[Principal, Depends(own_reader)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> EvaluationHistory:
    """The enterprise's stored evaluations (re-evaluation runs), newest first, with the rule-set
    version and fingerprint of each."""
    return await service.evaluations_of(request.app.state.database, uscc, principal, limit)


CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}


@router.get(
    "/enterprises/{uscc}/evaluations/{run_id}",
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "object"}},
                **CSV_CONTENT,
            },
            "description": "the explanation (JSON) or its per-criterion summary (CSV)",
        },
        **problems(404, codes={404: ("enterprise_not_found", "evaluation_not_found")}),
    },
)
async def export_enterprise_evaluation(
    request: Request,
    uscc: UsccPath,
    run_id: RunIdPath,
    principal: Annotated[Principal, Depends(own_reader)],
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Response:
    """One stored evaluation with its explanation: every criterion's result, band and points with
    its name, sources and verification, and every fact read (``name@year``: value)."""
    read, explanation = await service.export_evaluation(
        request.app.state.database, uscc, run_id, principal
    )
    if format == "csv":
        name = quote(f"evaluation-{uscc}-{run_id}.csv")
        return Response(
            service.csv_summary(read, explanation),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
        )
    body = {"evaluation": read.model_dump(mode="json"), "explanation": explanation}
    return Response(orjson.dumps(body), media_type="application/json")
