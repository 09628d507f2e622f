from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response

from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    IdPath,
    expected_version,
    replay_header,
    versioned_response,
)
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_funding.approvals import service
from sme_funding.approvals.schemas import (
    ApprovalRead,
    QueueFilters,
    QueuePage,
    StepDecision,
    Withdrawal,
)
from sme_funding.dependencies import approval_withdrawer, approver, reader

router = APIRouter(tags=["approvals"])

NOT_FOUND = {404: ("entitlement_not_found",)}
IF_MATCH_CODES = ("if_match_invalid", "if_match_mismatch")


@router.get(
    "/approvals/queue",
    response_model=QueuePage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_approval_queue(
    request: Request,
    principal: Annotated[Principal, Depends(approver)],
    filters: Annotated[QueueFilters, Query()],
) -> QueuePage:
    """What you may act on next (待办): entitlements pending approval in your region whose next
    step is yours to take — not those you made or took another step of — in id order."""
    return await service.queue(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/entitlements/{entitlement_id}/approval",
    response_model=ApprovalRead,
    responses={200: {"headers": ETAG_HEADER}, **problems(404, codes=NOT_FOUND)},
)
async def get_entitlement_approval(
    request: Request,
    entitlement_id: IdPath,
    principal: Annotated[Principal, Depends(reader)],
) -> Response:
    """An entitlement's approval: the chain its amount calls for, every step taken, who acts
    next; its ``ETag`` is the entitlement's version to send with the next step."""
    read = await service.get_approval(
        request.app.state.database, entitlement_id=entitlement_id, actor=principal
    )
    return versioned_response(read, read.version)


@router.post(
    "/entitlements/{entitlement_id}/approval/steps",
    response_model=ApprovalRead,
    openapi_extra=IDEMPOTENT,
    responses={
        200: {"headers": replay_header()},
        **problems(
            403,
            404,
            409,
            codes={
                **NOT_FOUND,
                403: (
                    service.ROLE_MISMATCH,
                    service.LEVEL_MISMATCH,
                    service.MAKER_CHECKER,
                ),
                409: (
                    "version_required",
                    "version_conflict",
                    service.NOT_PENDING,
                    "entitlement_status_conflict",
                    "budget_exhausted",
                    "allocation_missing",
                    "commitment_subject_mismatch",
                    "idempotency_key_reused",
                ),
                422: (
                    *IF_MATCH_CODES,
                    service.REMARKS_REQUIRED,
                    service.ACTION_INVALID,
                    "idempotency_key_invalid",
                ),
            },
        ),
    },
)
async def take_approval_step(
    request: Request,
    entitlement_id: IdPath,
    body: StepDecision,
    principal: Annotated[Principal, Depends(approver)],
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Take the next step of an entitlement's approval: ``approve`` (the last approval commits
    the budget: refused with 409 ``budget_exhausted`` when the 市州's allocation cannot take it),
    ``return`` (back to the first step) or ``reject`` (cancelled); with the version you read.
    One who made the entitlement or took another of its steps may not (maker ≠ checker)."""
    decision = body.model_copy(update={"version": expected_version(if_match, body.version)})
    outcome = await service.take_step(
        request.app.state.database,
        entitlement_id=entitlement_id,
        decision=decision,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.post(
    "/entitlements/{entitlement_id}/approval/withdrawal",
    response_model=ApprovalRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("entitlement_not_found", "commitment_not_found"),
                409: ("version_required", "version_conflict", service.NOT_WITHDRAWABLE),
                422: IF_MATCH_CODES,
            },
        ),
    },
)
async def withdraw_entitlement_approval(
    request: Request,
    entitlement_id: IdPath,
    body: Withdrawal,
    principal: Annotated[Principal, Depends(approval_withdrawer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Withdraw (撤销) the approval of an entitlement not yet in a payment batch: it is cancelled
    and its budget commitment released; with the reason and the version you read."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    read = await service.withdraw(
        request.app.state.database,
        entitlement_id=entitlement_id,
        command=command,
        actor=principal,
    )
    return versioned_response(read, read.version)
