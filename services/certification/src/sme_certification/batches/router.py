from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_certification.batches import service
from sme_certification.batches.schemas import (
    BatchCreate,
    BatchFilters,
    BatchPage,
    BatchRead,
    BatchUpdate,
    RecommendationReport,
)
from sme_certification.dependencies import batch_manager, own_reader, reader
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

router = APIRouter(tags=["batches"])


@router.post(
    "/batches",
    status_code=201,
    response_model=BatchRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            409,
            codes={
                409: ("idempotency_key_reused",),
                422: (
                    "province_unknown",
                    "window_closes_before_opening",
                    "reporting_unit_unknown",
                    "idempotency_key_invalid",
                ),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def create_batch(
    request: Request, body: BatchCreate, principal: Annotated[Principal, Depends(batch_manager)]
) -> JSONResponse:
    """Open a batch (申报批次) in draft: tier, level, year, filing window, per-市州 caps and
    minimums. Only the province's officers set batches."""
    outcome = await service.create_batch(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.patch(
    "/batches/{batch_id}",
    response_model=BatchRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("batch_not_found",),
                409: ("version_required", "version_conflict"),
                422: (
                    "batch_transition_not_allowed",
                    "batch_closed",
                    "window_closes_before_opening",
                    "reporting_unit_unknown",
                    "if_match_invalid",
                    "if_match_mismatch",
                ),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def update_batch(
    request: Request,
    batch_id: IdPath,
    body: BatchUpdate,
    principal: Annotated[Principal, Depends(batch_manager)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change the window, caps, minimums or title, or move the status (draft → open → closed);
    needs the version you read (``version`` or ``If-Match``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    batch = await service.update_batch(
        request.app.state.database, batch_id=batch_id, command=command, actor=principal
    )
    return versioned_response(batch, batch.version)


@router.get(
    "/batches/{batch_id}",
    response_model=BatchRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("batch_not_found",)}),
    },
)
async def get_batch(
    request: Request,
    batch_id: IdPath,
    _principal: Annotated[Principal, Depends(own_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    batch = await service.get_batch(request.app.state.database, batch_id=batch_id)
    return versioned_response(batch, batch.version, if_none_match=if_none_match)


@router.get("/batches", response_model=BatchPage)
async def list_batches(
    request: Request,
    filters: Annotated[BatchFilters, Query()],
    _principal: Annotated[Principal, Depends(own_reader)],
) -> BatchPage:
    """Batches, newest year first."""
    return await service.list_batches(request.app.state.database, filters=filters)


@router.get(
    "/batches/{batch_id}/recommendations",
    response_model=RecommendationReport,
    responses=problems(404, codes={404: ("batch_not_found",)}),
)
async def get_recommendation_report(
    request: Request, batch_id: IdPath, _principal: Annotated[Principal, Depends(reader)]
) -> RecommendationReport:
    """Each 市州's recommendations in the batch against its cap (refused beyond it) and its
    minimum (reported as a shortfall, never refusing more)."""
    return await service.recommendation_report(request.app.state.database, batch_id=batch_id)
