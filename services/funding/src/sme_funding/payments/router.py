from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    expected_version,
    replay_header,
    versioned_response,
)
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_funding.dependencies import payment_maker, payment_reader, payment_results
from sme_funding.payments import service
from sme_funding.payments.schemas import (
    BATCH_ID_PATTERN,
    BatchCreate,
    BatchDetail,
    BatchFilters,
    BatchPage,
    ReconciliationRead,
    ResultsPost,
    ResultsReport,
    VersionSent,
)

router = APIRouter(tags=["payments"])

BatchIdPath = Annotated[str, Path(pattern=BATCH_ID_PATTERN)]
NOT_FOUND = {404: ("payment_batch_not_found",)}
IF_MATCH_CODES = ("if_match_invalid", "if_match_mismatch")
CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
VERSIONED_409 = ("version_required", "version_conflict", "payment_batch_status_conflict")


@router.post(
    "/payment-batches",
    status_code=201,
    response_model=BatchDetail,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            403,
            409,
            codes={
                403: ("region_forbidden",),
                409: ("payment_batch_empty", "idempotency_key_reused"),
                422: ("region_required", "idempotency_key_invalid"),
            },
        ),
    },
)
async def create_payment_batch(
    request: Request, body: BatchCreate, principal: Annotated[Principal, Depends(payment_maker)]
) -> JSONResponse:
    """Make a payment batch (支付批次) of approved entitlements (and failed ones, returned by the
    bank) of one fund — of one 市州 and payee kind if named, oldest first, up to ``max_lines`` —
    with its control totals; each entitlement becomes ``in_batch``. A city officer's batch is of
    its own 市州; a province officer's without ``region`` spans the province."""
    outcome = await service.create_batch(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get(
    "/payment-batches",
    response_model=BatchPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_payment_batches(
    request: Request,
    filters: Annotated[BatchFilters, Query()],
    principal: Annotated[Principal, Depends(payment_reader)],
) -> BatchPage:
    """Payment batches in your region, in id order, with their control totals and the totals
    recomputed from their lines."""
    return await service.list_batches(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/payment-batches/{batch_id}",
    response_model=BatchDetail,
    responses={200: {"headers": ETAG_HEADER}, **problems(404, codes=NOT_FOUND)},
)
async def get_payment_batch(
    request: Request,
    batch_id: BatchIdPath,
    principal: Annotated[Principal, Depends(payment_reader)],
) -> Response:
    """One batch with its lines (the JSON form of the export) and, per line, the bank's result;
    its ``ETag`` is the version to send with a change."""
    detail = await service.get_batch(request.app.state.database, batch_id=batch_id, actor=principal)
    return versioned_response(detail, detail.version)


@router.get(
    "/payment-batches/{batch_id}/export.csv",
    # CSV only: without it the document also offered an empty application/json answer, which a
    # generated client picks first and parses as JSON.
    response_class=Response,
    responses={
        200: {"content": CSV_CONTENT, "description": "the sealed batch for the paying bank"},
        **problems(404, 409, codes={**NOT_FOUND, 409: ("payment_batch_status_conflict",)}),
    },
)
async def export_payment_batch(
    request: Request,
    batch_id: BatchIdPath,
    principal: Annotated[Principal, Depends(payment_reader)],
) -> Response:
    """The sealed batch as CSV for the paying bank or treasury (UTF-8 with BOM, for Excel): a
    header, one row per line, and a trailer ``TOTAL`` row with the control sum and count."""
    body = await service.export_csv(request.app.state.database, batch_id=batch_id, actor=principal)
    name = quote(f"payment-batch-{batch_id}.csv")
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.post(
    "/payment-batches/{batch_id}/seal",
    response_model=BatchDetail,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                **NOT_FOUND,
                409: (*VERSIONED_409, "control_totals_mismatch"),
                422: IF_MATCH_CODES,
            },
        ),
    },
)
async def seal_payment_batch(
    request: Request,
    batch_id: BatchIdPath,
    body: VersionSent,
    principal: Annotated[Principal, Depends(payment_maker)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Seal (封版) a draft for export: from now on nothing in it changes; send the version you
    read (``If-Match`` or ``version``)."""
    command = VersionSent(version=expected_version(if_match, body.version))
    detail = await service.seal_batch(
        request.app.state.database, batch_id=batch_id, command=command, actor=principal
    )
    return versioned_response(detail, detail.version)


@router.post(
    "/payment-batches/{batch_id}/withdraw",
    response_model=BatchDetail,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                **NOT_FOUND,
                409: (*VERSIONED_409, "entitlement_status_conflict"),
                422: IF_MATCH_CODES,
            },
        ),
    },
)
async def withdraw_payment_batch(
    request: Request,
    batch_id: BatchIdPath,
    body: VersionSent,
    principal: Annotated[Principal, Depends(payment_maker)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Withdraw (撤回) a draft before export: its entitlements are approved again."""
    command = VersionSent(version=expected_version(if_match, body.version))
    detail = await service.withdraw_batch(
        request.app.state.database, batch_id=batch_id, command=command, actor=principal
    )
    return versioned_response(detail, detail.version)


@router.post(
    "/payment-batches/{batch_id}/results",
    response_model=ResultsReport,
    responses=problems(
        404,
        409,
        codes={
            **NOT_FOUND,
            409: (
                "payment_batch_status_conflict",
                "line_result_conflict",
                "entitlement_already_paid",
                "entitlement_status_conflict",
                "payment_exceeds_commitment",
                "commitment_released",
            ),
            422: (
                "line_repeated",
                "line_not_in_batch",
                "paid_on_required",
                "paid_on_in_future",
                "bank_reference_required",
                "failure_reason_required",
                "failure_reason_unexpected",
            ),
        },
    ),
)
async def post_payment_results(
    request: Request,
    batch_id: BatchIdPath,
    body: ResultsPost,
    principal: Annotated[Principal, Depends(payment_results)],
) -> ResultsReport:
    """The bank's results for lines of a sealed batch (all or nothing): ``paid`` (day and bank
    reference) or ``failed`` (reason; the entitlement returns to the next batch). The same result
    again is a no-op; a different one for a settled line is a 409."""
    return await service.post_results(
        request.app.state.database, batch_id=batch_id, command=body, actor=principal
    )


@router.get(
    "/payment-batches/{batch_id}/reconciliation",
    response_model=ReconciliationRead,
    responses=problems(404, codes=NOT_FOUND),
)
async def reconcile_payment_batch(
    request: Request,
    batch_id: BatchIdPath,
    principal: Annotated[Principal, Depends(payment_reader)],
) -> ReconciliationRead:
    """The reconciliation (对账) of a batch: control totals vs its lines vs the bank's results vs
    the payments the ledger recorded for it; every difference listed."""
    return await service.reconciliation(
        request.app.state.database, batch_id=batch_id, actor=principal
    )
