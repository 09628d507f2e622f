from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from sme_common.api import IDEMPOTENT, replay_header
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_registry.dependencies import IdPath, UsccPath, own_record_reader, reader, writer
from sme_registry.flags import service
from sme_registry.flags.schemas import FlagCreate, FlagHistory, FlagPage, FlagRead, FlagUpdate

router = APIRouter(tags=["credit flags"])


@router.post(
    "/enterprises/{uscc}/flags",
    status_code=201,
    response_model=FlagRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: ("flag_exists", "idempotency_key_reused"),
                422: ("started_on_in_future", "ended_before_started", "idempotency_key_invalid"),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def raise_flag(
    request: Request,
    uscc: UsccPath,
    body: FlagCreate,
    principal: Annotated[Principal, Depends(writer)],
) -> JSONResponse:
    """Record a credit flag (abnormal operations, serious dishonesty, major accident, falsification)."""
    outcome = await service.raise_flag(
        request.app.state.database,
        uscc=uscc,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.patch(
    "/enterprises/{uscc}/flags/{flag_id}",
    response_model=FlagRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("enterprise_not_found", "flag_not_found"),
            409: ("version_conflict",),
            422: ("ended_before_started",),
            403: ("region_forbidden",),
        },
    ),
)
async def update_flag(
    request: Request,
    uscc: UsccPath,
    flag_id: IdPath,
    body: FlagUpdate,
    principal: Annotated[Principal, Depends(writer)],
) -> FlagRead:
    """Set or change the end date (lifting the flag) or the note; needs the version you read."""
    return await service.update_flag(
        request.app.state.database, uscc=uscc, flag_id=flag_id, command=body, actor=principal
    )


@router.get(
    "/enterprises/{uscc}/flags",
    response_model=FlagPage,
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def list_flags(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_record_reader)]
) -> FlagPage:
    return await service.list_flags(request.app.state.database, uscc=uscc, actor=principal)


@router.get(
    "/enterprises/{uscc}/flags/{flag_id}/history",
    response_model=FlagHistory,
    responses=problems(404, codes={404: ("enterprise_not_found", "flag_not_found")}),
)
async def get_flag_history(
    request: Request,
    uscc: UsccPath,
    flag_id: IdPath,
    principal: Annotated[Principal, Depends(reader)],
) -> FlagHistory:
    """Every version of the flag, oldest first: raised, each change of end date or note, lifted."""
    return await service.flag_history(
        request.app.state.database, uscc=uscc, flag_id=flag_id, actor=principal
    )
