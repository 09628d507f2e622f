"""Subsidy projects (项目补助): ``/v1/projects``, their evidence and their steps."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response

from sme_common.api import ETAG_HEADER, NOT_MODIFIED, IdPath, expected_version, versioned_response
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_funding.dependencies import (
    evidence_storage,
    own_reader,
    project_attester,
    project_filer,
    project_reviewer,
    province_reviewer,
)
from sme_funding.projects import service
from sme_funding.projects.schemas import (
    EVIDENCE_TYPES,
    Acceptance,
    EvidencePage,
    EvidenceQuery,
    EvidenceRead,
    ProjectCreate,
    ProjectFilters,
    ProjectPage,
    ProjectRead,
    ProjectRejection,
    ProjectReturn,
    ProjectUpdate,
    StepCommand,
    StepPage,
)

router = APIRouter(tags=["projects"])

NOT_FOUND = {404: ("project_not_found",)}
IF_MATCH_CODES = ("if_match_invalid", "if_match_mismatch")
VERSION_CODES = ("version_required", "version_conflict", "project_status_conflict")
AMOUNT_CODES = (
    "amount_negative",
    "spend_below_threshold",
    "investment_below_threshold",
    "total_investment_required",
    "rate_above_maximum",
    "rate_below_policy",
    "amount_above_cap",
    "amount_required",
    "amount_not_settable",
    "rate_not_settable",
    "policy_not_spend_based",
    "policy_not_up_to",
    "policy_not_project_based",
    "policy_not_available",
)
EVIDENCE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type in EVIDENCE_TYPES
        },
    }
}


def _step_responses(*forbidden: str, unprocessable: tuple[str, ...] = ()) -> dict[int | str, Any]:
    return {
        200: {"headers": ETAG_HEADER},
        **problems(
            403,
            404,
            409,
            codes={
                403: forbidden,
                **NOT_FOUND,
                409: VERSION_CODES,
                422: (*IF_MATCH_CODES, *unprocessable),
            },
        ),
    }


@router.post(
    "/projects",
    status_code=201,
    response_model=ProjectRead,
    responses=problems(404, codes={404: ("enterprise_not_found",), 422: ("policy_not_available",)}),
)
async def create_project(
    request: Request,
    body: ProjectCreate,
    principal: Annotated[Principal, Depends(project_filer)],
) -> ProjectRead:
    """File a subsidy project (draft) under a subsidy-project policy in force in the enterprise's
    province: the enterprise for itself, or an officer for an enterprise of its region."""
    return await service.create_project(request.app.state.database, command=body, actor=principal)


@router.get(
    "/projects",
    response_model=ProjectPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_projects(
    request: Request,
    principal: Annotated[Principal, Depends(own_reader)],
    filters: Annotated[ProjectFilters, Query()],
) -> ProjectPage:
    """Subsidy projects in your region (an enterprise: its own), in id order."""
    return await service.list_projects(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/projects/{project_id}",
    response_model=ProjectRead,
    responses={200: {"headers": ETAG_HEADER}, **NOT_MODIFIED, **problems(404, codes=NOT_FOUND)},
)
async def get_project(
    request: Request,
    project_id: IdPath,
    principal: Annotated[Principal, Depends(own_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One project: declared and accepted figures, amount and explanation, remarks of the last
    return; its ``ETag`` is the version to send back with a change."""
    read = await service.get_project(
        request.app.state.database, project_id=project_id, actor=principal
    )
    return versioned_response(read, read.version, if_none_match=if_none_match)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectRead,
    responses=_step_responses(unprocessable=("period_invalid", "eligible_spend_required")),
)
async def update_project(
    request: Request,
    project_id: IdPath,
    body: ProjectUpdate,
    principal: Annotated[Principal, Depends(project_filer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Correct a draft or returned project (the fields sent)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.update_project(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/evidence",
    status_code=201,
    response_model=EvidenceRead,
    openapi_extra=EVIDENCE_BODY,
    responses=problems(
        404,
        409,
        413,
        codes={
            **NOT_FOUND,
            409: ("project_status_conflict", "evidence_limit_reached"),
            422: ("evidence_type_unsupported", "evidence_empty", "evidence_too_large"),
        },
    ),
)
async def add_project_evidence(
    request: Request,
    project_id: IdPath,
    query: Annotated[EvidenceQuery, Query()],
    principal: Annotated[Principal, Depends(project_filer)],
) -> EvidenceRead:
    """Add an evidence document (PDF, JPEG or PNG, the file itself as the body) to a draft or
    returned project: invoices, contracts, an audit report …"""
    return await service.add_evidence(
        request.app.state.database,
        project_id=project_id,
        query=query,
        content_type=request.headers.get("content-type"),
        content=await request.body(),
        storage=evidence_storage(request),
        actor=principal,
    )


@router.get(
    "/projects/{project_id}/evidence",
    response_model=EvidencePage,
    responses=problems(404, codes=NOT_FOUND),
)
async def list_project_evidence(
    request: Request, project_id: IdPath, principal: Annotated[Principal, Depends(own_reader)]
) -> EvidencePage:
    """The evidence documents' metadata: kind, file name, type, size, SHA-256, who and when."""
    return await service.list_evidence(
        request.app.state.database, project_id=project_id, actor=principal
    )


@router.get(
    "/projects/{project_id}/evidence/{evidence_id}",
    response_class=Response,
    responses={
        200: {
            "description": "The document as uploaded",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in EVIDENCE_TYPES
            },
        },
        **problems(404, codes={404: ("project_not_found", "evidence_not_found")}),
    },
)
async def get_project_evidence(
    request: Request,
    project_id: IdPath,
    evidence_id: IdPath,
    principal: Annotated[Principal, Depends(own_reader)],
) -> Response:
    """The document's content, with its SHA-256 (``X-Content-SHA256``)."""
    document, content = await service.evidence_content(
        request.app.state.database,
        project_id=project_id,
        evidence_id=evidence_id,
        storage=evidence_storage(request),
        actor=principal,
    )
    return Response(
        content, media_type=document.content_type, headers={"X-Content-SHA256": document.sha256}
    )


@router.get(
    "/projects/{project_id}/steps",
    response_model=StepPage,
    responses=problems(404, codes=NOT_FOUND),
)
async def list_project_steps(
    request: Request, project_id: IdPath, principal: Annotated[Principal, Depends(own_reader)]
) -> StepPage:
    """Every step of the project: who (and in which role), when, from what to what, remarks."""
    return await service.project_steps(
        request.app.state.database, project_id=project_id, actor=principal
    )


@router.post(
    "/projects/{project_id}/declare",
    response_model=ProjectRead,
    responses=_step_responses(
        unprocessable=(
            "evidence_required",
            "holder_tier_required",
            "spend_below_threshold",
            "investment_below_threshold",
            "total_investment_required",
            "policy_not_available",
        )
    ),
)
async def declare_project(
    request: Request,
    project_id: IdPath,
    body: StepCommand,
    principal: Annotated[Principal, Depends(project_filer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """申报: send a draft or returned project, with its evidence, to the county or 市州."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.declare(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/attest",
    response_model=ProjectRead,
    responses=_step_responses("maker_checker"),
)
async def attest_project(
    request: Request,
    project_id: IdPath,
    body: StepCommand,
    principal: Annotated[Principal, Depends(project_attester)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """属地审核: the county or 市州 of the enterprise attests that the declaration is true (属地化管理:
    the place answers for the truthfulness)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.attest(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/compliance-check",
    response_model=ProjectRead,
    responses=_step_responses("maker_checker"),
)
async def check_project_compliance(
    request: Request,
    project_id: IdPath,
    body: StepCommand,
    principal: Annotated[Principal, Depends(province_reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """省级复核: the province re-checks compliance (never the officer who attested)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.check_compliance(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/acceptance",
    response_model=ProjectRead,
    responses=_step_responses(
        "maker_checker", unprocessable=("accepted_above_declared", *AMOUNT_CODES)
    ),
)
async def accept_project_spend(
    request: Request,
    project_id: IdPath,
    body: Acceptance,
    principal: Annotated[Principal, Depends(province_reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Accept the spend (at most what was declared); a raised rate within the policy's maximum,
    or the amount under an "up to" policy. The amount is computed and shown."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.accept_spend(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/entitle",
    response_model=ProjectRead,
    responses=_step_responses("maker_checker", unprocessable=AMOUNT_CODES),
)
async def entitle_project(
    request: Request,
    project_id: IdPath,
    body: StepCommand,
    principal: Annotated[Principal, Depends(province_reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The amount becomes an entitlement (pending approval, or blocked by a credit flag),
    confirmed by a province officer other than the one who accepted the spend."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.entitle(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/return",
    response_model=ProjectRead,
    responses=_step_responses("project_step_forbidden"),
)
async def return_project(
    request: Request,
    project_id: IdPath,
    body: ProjectReturn,
    principal: Annotated[Principal, Depends(project_reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """退回补正: back to the filer with a remark per field (by whoever's step is next)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.return_project(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/projects/{project_id}/reject",
    response_model=ProjectRead,
    responses=_step_responses("project_step_forbidden"),
)
async def reject_project(
    request: Request,
    project_id: IdPath,
    body: ProjectRejection,
    principal: Annotated[Principal, Depends(project_reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Reject a project under review, with the reason (by whoever's step is next)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.reject_project(
        request.app.state.database, project_id=project_id, command=command, actor=principal
    )
    return versioned_response(read, read.version)
