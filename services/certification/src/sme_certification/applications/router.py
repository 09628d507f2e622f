from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_certification.applications import service
from sme_certification.applications.schemas import (
    EVIDENCE_TYPES,
    ApplicationCreate,
    ApplicationFilters,
    ApplicationPage,
    ApplicationRead,
    ApplicationUpdate,
    AssessmentRead,
    Classification,
    DocumentPage,
    DocumentQuery,
    DocumentRead,
    ReviewDecision,
    StepPage,
    VersionOnly,
)
from sme_certification.dependencies import (
    applicant,
    application_step_responses,
    evidence_storage,
    own_reader,
    reviewer,
)
from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    NOT_MODIFIED,
    IdPath,
    expected_version,
    replay_header,
    versioned_response,
)
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from

router = APIRouter(tags=["applications"])

RE_REVIEW_CODES = (
    "re_review_certificate_required",
    "certificate_id_only_for_re_review",
    "re_review_certificate_not_held",
    "re_review_certificate_other_title",
    "re_review_certificate_not_in_force",
    "re_review_window_passed",
)
DECLARED_CODES = (
    "declared_input_malformed",
    "declared_field_unknown",
    "declared_value_not_integer",
    "declared_value_unknown",
    "declared_date_invalid",
    "declared_decimal_invalid",
    "declared_year_repeated",
)


@router.post(
    "/applications",
    status_code=201,
    response_model=ApplicationRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found", "batch_not_found"),
                409: ("application_exists", "idempotency_key_reused"),
                422: (
                    "batch_closed",
                    "enterprise_not_operating",
                    "enterprise_outside_batch_province",
                    *RE_REVIEW_CODES,
                    "idempotency_key_invalid",
                    *DECLARED_CODES,
                ),
            },
        ),
    },
)
async def create_application(
    request: Request,
    body: ApplicationCreate,
    principal: Annotated[Principal, Depends(applicant)],
) -> JSONResponse:
    """Make an application (draft) for an enterprise in a batch: one per enterprise per batch,
    built from the registry facts certification holds and the declared values."""
    outcome = await service.create_application(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get("/applications", response_model=ApplicationPage)
async def list_applications(
    request: Request,
    filters: Annotated[ApplicationFilters, Query()],
    principal: Annotated[Principal, Depends(own_reader)],
) -> ApplicationPage:
    """Applications in your region (a county its county, a 市州 its own, the province all)."""
    return await service.list_applications(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/applications/{application_id}",
    response_model=ApplicationRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("application_not_found",)}),
    },
)
async def get_application(
    request: Request,
    application_id: IdPath,
    principal: Annotated[Principal, Depends(own_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One application; its ``ETag`` is the version to send back with a change or decision."""
    application = await service.get_application(
        request.app.state.database, application_id=application_id, actor=principal
    )
    return versioned_response(application, application.version, if_none_match=if_none_match)


@router.patch(
    "/applications/{application_id}",
    response_model=ApplicationRead,
    responses=application_step_responses(invalid=("batch_closed", *DECLARED_CODES)),
)
async def update_application(
    request: Request,
    application_id: IdPath,
    body: ApplicationUpdate,
    principal: Annotated[Principal, Depends(applicant)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Replace the declared values, before filing or while returned for correction."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    application = await service.update_declared(
        request.app.state.database,
        application_id=application_id,
        command=command,
        actor=principal,
    )
    return versioned_response(application, application.version)


@router.post(
    "/applications/{application_id}/self-assessment",
    response_model=AssessmentRead,
    responses=problems(
        404, codes={404: ("application_not_found",), 422: ("rule_set_not_found", *DECLARED_CODES)}
    ),
)
async def assess_application(
    request: Request, application_id: IdPath, principal: Annotated[Principal, Depends(own_reader)]
) -> dict[str, Any]:
    """Run the rules on the application as if filed today (nothing is stored): every criterion,
    the fact it read (year, value), the band, the points, pass/fail, and the rule set's version."""
    return await service.self_assess(
        request.app.state.database, application_id=application_id, actor=principal
    )


@router.post(
    "/applications/{application_id}/submit",
    response_model=ApplicationRead,
    responses=application_step_responses(
        not_found=("certificate_not_found",),
        conflict=("re_review_of_another_application", "certificate_status_conflict"),
        invalid=(
            "filing_window_closed",
            "batch_closed",
            "rule_set_not_found",
            *RE_REVIEW_CODES,
        ),
    ),
)
async def submit_application(
    request: Request,
    application_id: IdPath,
    body: VersionOnly,
    principal: Annotated[Principal, Depends(applicant)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """File the application (within the batch's window), or file it again after a return for
    correction; the rules' explanation at filing is kept with it."""
    application = await service.submit(
        request.app.state.database,
        application_id=application_id,
        version=expected_version(if_match, body.version),
        actor=principal,
    )
    return versioned_response(application, application.version)


@router.post(
    "/applications/{application_id}/decisions",
    response_model=ApplicationRead,
    responses=application_step_responses(
        invalid=("recommendation_cap_reached", "remarks_required", "batch_closed"),
        forbidden=("review_role_forbidden",),
    ),
)
async def decide_application(
    request: Request,
    application_id: IdPath,
    body: ReviewDecision,
    principal: Annotated[Principal, Depends(reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A step of the review chain: ``approve_county_check`` (county), ``recommend`` (市州, within its
    cap), ``approve_provincial_review`` (province), or ``return`` for correction with remarks by field
    (the step's reviewer or one above it). Needs the version you read."""
    decision = body.model_copy(update={"version": expected_version(if_match, body.version)})
    application = await service.decide(
        request.app.state.database,
        application_id=application_id,
        decision=decision,
        actor=principal,
    )
    return versioned_response(application, application.version)


@router.put(
    "/applications/{application_id}/classification",
    response_model=ApplicationRead,
    responses=application_step_responses(),
)
async def classify_application(
    request: Request,
    application_id: IdPath,
    body: Classification,
    principal: Annotated[Principal, Depends(reviewer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Mark an application classified (涉密, seed 003 六(一)) or not, before its public notice: a
    classified one is decided without notice and never appears in public lists."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    application = await service.set_classified(
        request.app.state.database, application_id=application_id, command=command, actor=principal
    )
    return versioned_response(application, application.version)


@router.get(
    "/applications/{application_id}/steps",
    response_model=StepPage,
    responses=problems(404, codes={404: ("application_not_found",)}),
)
async def list_application_steps(
    request: Request, application_id: IdPath, principal: Annotated[Principal, Depends(own_reader)]
) -> StepPage:
    """Every step of the application, oldest first: who, when, from what to what, remarks."""
    return await service.application_steps(
        request.app.state.database, application_id=application_id, actor=principal
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
EVIDENCE_CONTENT: dict[str, Any] = {
    media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in EVIDENCE_TYPES
}


@router.post(
    "/applications/{application_id}/documents",
    status_code=201,
    response_model=DocumentRead,
    openapi_extra=EVIDENCE_BODY,
    responses=problems(
        404,
        409,
        413,
        codes={
            404: ("application_not_found",),
            409: ("transition_not_allowed",),
            422: ("evidence_type_unsupported", "evidence_empty", "batch_closed"),
        },
    ),
)
async def add_application_document(
    request: Request,
    application_id: IdPath,
    query: Annotated[DocumentQuery, Query()],
    principal: Annotated[Principal, Depends(applicant)],
) -> DocumentRead:
    """Add an evidence document (PDF, JPEG or PNG, the file itself as the body) for a declared
    value (``field``), before filing or while returned for correction."""
    return await service.add_document(
        request.app.state.database,
        application_id=application_id,
        query=query,
        content_type=request.headers.get("content-type"),
        content=await request.body(),
        storage=evidence_storage(request),
        actor=principal,
    )


@router.get(
    "/applications/{application_id}/documents",
    response_model=DocumentPage,
    responses=problems(404, codes={404: ("application_not_found",)}),
)
async def list_application_documents(
    request: Request, application_id: IdPath, principal: Annotated[Principal, Depends(own_reader)]
) -> DocumentPage:
    """The evidence documents' metadata: field, file name, type, size, SHA-256, who and when."""
    return await service.list_documents(
        request.app.state.database, application_id=application_id, actor=principal
    )


@router.get(
    "/applications/{application_id}/documents/{document_id}",
    response_class=Response,
    responses={
        200: {"description": "The document as uploaded", "content": EVIDENCE_CONTENT},
        **problems(404, codes={404: ("application_not_found", "document_not_found")}),
    },
)
async def get_application_document(
    request: Request,
    application_id: IdPath,
    document_id: IdPath,
    principal: Annotated[Principal, Depends(own_reader)],
) -> Response:
    """The document's content, with its type and SHA-256 (``Digest``-like ``X-Content-SHA256``)."""
    document, content = await service.document_content(
        request.app.state.database,
        application_id=application_id,
        document_id=document_id,
        storage=evidence_storage(request),
        actor=principal,
    )
    return Response(
        content,
        media_type=document.content_type,
        headers={"X-Content-SHA256": document.sha256},
    )
