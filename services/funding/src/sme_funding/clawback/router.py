from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_funding.clawback import service
from sme_funding.clawback.schemas import (
    ORDER_ID_PATTERN,
    ReceiptCreate,
    RecoveryOrderDetail,
    RecoveryOrderFilters,
    RecoveryOrderPage,
)
from sme_funding.dependencies import officer_writer, own_reader

router = APIRouter(tags=["clawback"])

OrderIdPath = Annotated[str, Path(pattern=ORDER_ID_PATTERN)]
NOT_FOUND = {404: ("recovery_order_not_found",)}


@router.get(
    "/recovery-orders",
    response_model=RecoveryOrderPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_recovery_orders(
    request: Request,
    principal: Annotated[Principal, Depends(own_reader)],
    filters: Annotated[RecoveryOrderFilters, Query()],
) -> RecoveryOrderPage:
    """Recovery orders (追回令) in your region — an enterprise sees its own — by status,
    enterprise, 市州 (``region``) or certificate; in id order."""
    return await service.list_orders(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/recovery-orders/{recovery_order_id}",
    response_model=RecoveryOrderDetail,
    responses=problems(404, codes=NOT_FOUND),
)
async def get_recovery_order(
    request: Request,
    recovery_order_id: OrderIdPath,
    principal: Annotated[Principal, Depends(own_reader)],
) -> RecoveryOrderDetail:
    """One recovery order with the money received back against it."""
    return await service.get_order(
        request.app.state.database, order_id=recovery_order_id, actor=principal
    )


@router.post(
    "/recovery-orders/{recovery_order_id}/receipts",
    status_code=201,
    response_model=RecoveryOrderDetail,
    responses={
        200: {"model": RecoveryOrderDetail, "description": "The receipt was recorded before"},
        **problems(
            404,
            409,
            codes={
                **NOT_FOUND,
                409: (
                    "receipt_ref_reused",
                    "recovery_order_status_conflict",
                    "recovery_exceeds_outstanding",
                    "recovery_exceeds_raised",
                ),
                422: ("received_on_in_future", "received_on_before_raised"),
            },
        ),
    },
)
async def record_recovery_receipt(
    request: Request,
    recovery_order_id: OrderIdPath,
    body: ReceiptCreate,
    principal: Annotated[Principal, Depends(officer_writer)],
) -> JSONResponse:
    """Record money received back (追回到账) against an open order, once per ``receipt_ref``:
    201 with the order when new, 200 when that receipt was recorded before."""
    detail, created = await service.record_receipt(
        request.app.state.database, order_id=recovery_order_id, command=body, actor=principal
    )
    return JSONResponse(detail.model_dump(mode="json"), status_code=201 if created else 200)
