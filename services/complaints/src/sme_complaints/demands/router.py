from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_common.api import ETAG_HEADER, NOT_MODIFIED, IdPath, expected_version, versioned_response
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_complaints.demands import service
from sme_complaints.demands.schemas import (
    DemandCreate,
    DemandFilters,
    DemandPage,
    DemandRead,
    DemandStepCommand,
    DemandStepPage,
    DemandSummary,
    DemandTopicList,
    OverdueDemandPage,
    OverdueDemandQuery,
    SummaryQuery,
)
from sme_complaints.dependencies import (
    DepartmentPath,
    demand_reader,
    demand_recorder,
    demand_stepper,
    officer_reader,
)

router = APIRouter(tags=["demands"])

CREATE_CODES = (
    "topic_unknown",
    "uscc_invalid",
    "region_unknown",
    "region_mismatch",
    "region_required",
    "demand_source_invalid",
    "work_order_required",
)
STEP_CODES = (
    "step_field_missing",
    "step_field_not_allowed",
    "department_unknown",
    "department_out_of_region",
    "if_match_invalid",
    "if_match_mismatch",
)
CONFLICT_CODES = ("version_required", "version_conflict", "transition_not_allowed")


@router.get("/demand-topics", response_model=DemandTopicList)
async def list_demand_topics(
    _principal: Annotated[Principal, Depends(demand_reader)],
) -> DemandTopicList:
    """The topics of the demands ledger (要素保障: land, power, staff, finance, approvals, other)
    and the kind of department that answers each in a 市州."""
    return service.topics()


@router.post(
    "/demands",
    status_code=201,
    response_model=DemandRead,
    responses={
        200: {"model": DemandRead, "description": "the demand this work order already recorded"},
        **problems(
            409,
            codes={
                403: ("enterprise_not_self", "region_forbidden"),
                409: ("work_order_conflict",),
                422: CREATE_CODES,
            },
        ),
    },
)
async def create_demand(
    request: Request, body: DemandCreate, principal: Annotated[Principal, Depends(demand_recorder)]
) -> JSONResponse:
    """Record an enterprise's demand (诉求工作台账, seed 000 (二十二)): the hotline with its work
    order, the enterprise itself, or an officer of its region (a service commissioner's visit, a
    letter). The demand's place is the enterprise's (属地); the ``assign`` clock starts."""
    status, demand = await service.create_demand(
        request.app.state.database, command=body, actor=principal
    )
    return JSONResponse(
        demand.model_dump(mode="json"),
        status_code=status,
        headers={"ETag": f'"{demand.version}"'},
    )


@router.get("/demands", response_model=DemandPage)
async def list_demands(
    request: Request,
    filters: Annotated[DemandFilters, Query()],
    principal: Annotated[Principal, Depends(demand_reader)],
) -> DemandPage:
    """Demands in your scope: officers those of enterprises in their region, the hotline those
    it recorded, an enterprise its own."""
    return await service.list_demands(request.app.state.database, filters=filters, actor=principal)


@router.get("/demands/summary", response_model=DemandSummary)
async def summarise_demands(
    request: Request,
    query: Annotated[SummaryQuery, Query()],
    principal: Annotated[Principal, Depends(officer_reader)],
) -> DemandSummary:
    """Open, overdue and closed demands per 市州 (``group_by=region``) or per department
    (``group_by=department``), in your region, as of today."""
    return await service.summary(request.app.state.database, query=query, actor=principal)


@router.get(
    "/demands/{demand_id}",
    response_model=DemandRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("demand_not_found",)}),
    },
)
async def get_demand(
    request: Request,
    demand_id: IdPath,
    principal: Annotated[Principal, Depends(demand_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One demand with its running deadline; its ``ETag`` is the version a step sends back."""
    demand = await service.get_demand(
        request.app.state.database, demand_id=demand_id, actor=principal
    )
    return versioned_response(demand, demand.version, if_none_match=if_none_match)


@router.get(
    "/demands/{demand_id}/steps",
    response_model=DemandStepPage,
    responses=problems(404, codes={404: ("demand_not_found",)}),
)
async def list_demand_steps(
    request: Request, demand_id: IdPath, principal: Annotated[Principal, Depends(demand_reader)]
) -> DemandStepPage:
    """The demand's history: every step, who took it, when, and what it recorded."""
    return await service.list_steps(
        request.app.state.database, demand_id=demand_id, actor=principal
    )


@router.post(
    "/demands/{demand_id}/steps",
    response_model=DemandRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                403: ("region_officer_required", "department_officer_required"),
                404: ("demand_not_found",),
                409: CONFLICT_CODES,
                422: STEP_CODES,
            },
        ),
    },
)
async def take_demand_step(
    request: Request,
    demand_id: IdPath,
    body: DemandStepCommand,
    principal: Annotated[Principal, Depends(demand_stepper)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One step of the closed loop (清单化闭环管理) at the version you read (``version`` or
    ``If-Match``): ``assign`` by an officer of the enterprise's region; ``answer`` by the
    department's officers; ``confirm`` or ``reopen`` (with a reason, back to the department) by
    the enterprise, or by an officer of its region naming how it said so (``confirmed_via``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    demand = await service.take_step(
        request.app.state.database, demand_id=demand_id, command=command, actor=principal
    )
    return versioned_response(demand, demand.version)


@router.get(
    "/departments/{department_id}/overdue-demands",
    response_model=OverdueDemandPage,
    responses=problems(404, codes={404: ("department_not_found",)}),
)
async def list_department_overdue_demands(
    request: Request,
    department_id: Annotated[str, DepartmentPath],
    query: Annotated[OverdueDemandQuery, Query()],
    principal: Annotated[Principal, Depends(officer_reader)],
) -> OverdueDemandPage:
    """The demands the department holds past their answer deadline today, in your region."""
    return await service.list_overdue(
        request.app.state.database, department_id=department_id, query=query, actor=principal
    )
