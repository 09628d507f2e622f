from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_common.api import ETAG_HEADER, IDEMPOTENT, expected_version, replay_header
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_funding.budgets import service
from sme_funding.budgets.schemas import (
    FUND_ID_PATTERN,
    AllocationFilters,
    AllocationPage,
    AllocationRead,
    AllocationSet,
    FundCreate,
    FundFilters,
    FundPage,
    FundRead,
)
from sme_funding.dependencies import budget_manager, budget_reader

router = APIRouter(tags=["budgets"])

FundIdPath = Annotated[str, Path(pattern=FUND_ID_PATTERN)]
RegionPath = Annotated[str, Path(pattern=r"^[0-9]{6}$")]


@router.post(
    "/funds",
    status_code=201,
    response_model=FundRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            403,
            409,
            codes={
                403: ("region_forbidden",),
                409: ("fund_exists", "idempotency_key_reused"),
                422: ("province_unknown", "idempotency_key_invalid"),
            },
        ),
    },
)
async def create_fund(
    request: Request, body: FundCreate, principal: Annotated[Principal, Depends(budget_manager)]
) -> JSONResponse:
    """Set up a fund of one year (e.g. 中小企业发展专项资金) with its total, in integer fen."""
    outcome = await service.create_fund(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get("/funds", response_model=FundPage, responses=problems(codes={422: ("cursor_invalid",)}))
async def list_funds(
    request: Request,
    filters: Annotated[FundFilters, Query()],
    principal: Annotated[Principal, Depends(budget_reader)],
) -> FundPage:
    """Funds of your province with their figures (allocated, committed, paid, recovered,
    available)."""
    return await service.list_funds(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/funds/{fund_id}",
    response_model=FundRead,
    responses=problems(404, codes={404: ("fund_not_found",)}),
)
async def get_fund(
    request: Request,
    fund_id: FundIdPath,
    principal: Annotated[Principal, Depends(budget_reader)],
) -> FundRead:
    return await service.get_fund(request.app.state.database, fund_id=fund_id, actor=principal)


@router.put(
    "/funds/{fund_id}/allocations/{region_code}",
    response_model=AllocationRead,
    responses={
        200: {"headers": ETAG_HEADER},
        201: {"description": "Allocated", "headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("fund_not_found",),
                409: (
                    "version_required",
                    "version_conflict",
                    "fund_over_allocated",
                    "allocation_below_committed",
                ),
                422: ("allocation_region_invalid", "if_match_invalid", "if_match_mismatch"),
            },
        ),
    },
)
async def set_allocation(
    request: Request,
    fund_id: FundIdPath,
    region_code: RegionPath,
    body: AllocationSet,
    principal: Annotated[Principal, Depends(budget_manager)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Allocate the fund to a 市州 (or keep it at the province), or change that allocation
    (send the version you read as ``If-Match``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    allocation, created = await service.set_allocation(
        request.app.state.database,
        fund_id=fund_id,
        region_code=region_code,
        command=command,
        actor=principal,
    )
    return JSONResponse(
        allocation.model_dump(mode="json"),
        status_code=201 if created else 200,
        headers={"ETag": f'"{allocation.version}"'},
    )


@router.get(
    "/allocations",
    response_model=AllocationPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_allocations(
    request: Request,
    filters: Annotated[AllocationFilters, Query()],
    principal: Annotated[Principal, Depends(budget_reader)],
) -> AllocationPage:
    """Allocations in your region with their figures: a 市州's officers see their own."""
    return await service.list_allocations(
        request.app.state.database, filters=filters, actor=principal
    )
