from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_common.api import ETAG_HEADER, NOT_MODIFIED, IdPath, expected_version, versioned_response
from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_complaints.cases import service
from sme_complaints.cases.schemas import (
    CaseCreate,
    CaseFilters,
    CasePage,
    CaseRead,
    CaseStepCommand,
    ContactRead,
    OverduePage,
    OverdueQuery,
    StepPage,
)
from sme_complaints.dependencies import (
    DepartmentPath,
    case_reader,
    contact_reader,
    filer,
    handling_officer,
    officer_reader,
)

router = APIRouter(tags=["cases"])

INTAKE_CODES = (
    "category_unknown",
    "category_subject_mismatch",
    "category_field_missing",
    "uscc_invalid",
    "respondent_is_complainant",
    "contract_signed_in_future",
    "contract_date_out_of_range",
    "amount_owed_exceeds_contract",
    "other_proceedings_inconsistent",
    "region_unknown",
    "work_order_required",
)
STEP_CODES = (
    "step_field_missing",
    "step_field_not_allowed",
    "received_on_out_of_range",
    "department_unknown",
    "department_required_after_return",
    "amount_paid_exceeds_owed",
    "paid_in_full_amount_mismatch",
    "paid_in_part_amount_invalid",
    "agreement_due_on_required",
    "if_match_invalid",
    "if_match_mismatch",
)
CONFLICT_CODES = (
    "version_required",
    "version_conflict",
    "transition_not_allowed",
    "case_paused",
    "case_already_paused",
    "case_not_paused",
    "already_extended",
)


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseRead,
    responses={
        200: {"model": CaseRead, "description": "the case this work order already filed"},
        **problems(
            409,
            codes={
                403: ("complainant_not_self", "region_forbidden"),
                409: ("work_order_conflict",),
                422: INTAKE_CODES,
            },
        ),
    },
)
async def create_case(
    request: Request, body: CaseCreate, principal: Annotated[Principal, Depends(filer)]
) -> JSONResponse:
    """File a complaint (received): the hotline with its work-order number (the same work order
    with the same content answers the case it filed, 200; other content is a 409
    ``work_order_conflict``), agency systems, the web channel (an enterprise for itself) and
    officers. Registry facts at intake are recorded on the case, known or not."""
    status, case = await service.create_case(
        request.app.state.database, command=body, actor=principal
    )
    return JSONResponse(
        case.model_dump(mode="json"), status_code=status, headers={"ETag": f'"{case.version}"'}
    )


@router.get("/cases", response_model=CasePage)
async def list_cases(
    request: Request,
    filters: Annotated[CaseFilters, Query()],
    principal: Annotated[Principal, Depends(case_reader)],
) -> CasePage:
    """Cases in your scope: the hotline and agency systems those their channel filed, officers
    those whose respondent is in their region, an enterprise those it filed."""
    return await service.list_cases(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/cases/{case_id}",
    response_model=CaseRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("case_not_found",)}),
    },
)
async def get_case(
    request: Request,
    case_id: IdPath,
    principal: Annotated[Principal, Depends(case_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One case, with its running deadline; its ``ETag`` is the version a step sends back. The
    complainant's contact is not in it."""
    case = await service.get_case(request.app.state.database, case_id=case_id, actor=principal)
    return versioned_response(case, case.version, if_none_match=if_none_match)


@router.get(
    "/cases/{case_id}/steps",
    response_model=StepPage,
    responses=problems(404, codes={404: ("case_not_found",)}),
)
async def list_case_steps(
    request: Request, case_id: IdPath, principal: Annotated[Principal, Depends(case_reader)]
) -> StepPage:
    """The case's history: every step, who took it, when, and what it recorded."""
    return await service.list_steps(request.app.state.database, case_id=case_id, actor=principal)


@router.post(
    "/cases/{case_id}/steps",
    response_model=CaseRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                403: ("accepting_officer_required", "department_officer_required"),
                404: ("case_not_found",),
                409: CONFLICT_CODES,
                422: STEP_CODES,
            },
        ),
    },
)
async def take_case_step(
    request: Request,
    case_id: IdPath,
    body: CaseStepCommand,
    principal: Annotated[Principal, Depends(handling_officer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One step of the lifecycle at the version you read (``version`` or ``If-Match``):
    ``accept`` / ``not_accept`` / ``transfer`` / ``visit`` by the accepting department (the
    province); ``receive`` / ``return`` (退单) / ``extend`` / ``resolve`` by the handling
    department's officers; ``pause`` / ``resume`` (waiting for the complainant's material) and
    ``close`` by whoever holds the case. A refused step changes nothing."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    case = await service.take_step(
        request.app.state.database, case_id=case_id, command=command, actor=principal
    )
    return versioned_response(case, case.version)


@router.get(
    "/cases/{case_id}/complainant-contact",
    response_model=ContactRead,
    dependencies=[audit_read("complaint_complainant", contact_reader, id_param="case_id")],
    responses=problems(
        404, codes={403: ("complainant_contact_forbidden",), 404: ("case_not_found",)}
    ),
)
async def get_complainant_contact(
    request: Request, case_id: IdPath, principal: Annotated[Principal, Depends(contact_reader)]
) -> ContactRead:
    """The complainant's contact person and phone: the accepting officers (the province) and the
    officers of the department handling the case only; every read is audited."""
    return await service.get_contact(request.app.state.database, case_id=case_id, actor=principal)


@router.get(
    "/departments/{department_id}/overdue",
    response_model=OverduePage,
    responses=problems(404, codes={404: ("department_not_found",)}),
)
async def list_department_overdue(
    request: Request,
    department_id: Annotated[str, DepartmentPath],
    query: Annotated[OverdueQuery, Query()],
    principal: Annotated[Principal, Depends(officer_reader)],
) -> OverduePage:
    """The department's cases past their statutory deadline today (paused cases excepted); the
    accepting department's queue holds those waiting for acceptance or transfer."""
    return await service.list_overdue(
        request.app.state.database, department_id=department_id, query=query, actor=principal
    )
