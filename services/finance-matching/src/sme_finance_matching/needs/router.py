from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

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
from sme_finance_matching.dependencies import need_reader, need_writer
from sme_finance_matching.needs import service
from sme_finance_matching.needs.schemas import (
    MatchList,
    NeedCreate,
    NeedFilters,
    NeedPage,
    NeedRead,
    NeedUpdate,
)

router = APIRouter(tags=["needs"])

_CALLER = ("institution_client_unknown",)


@router.post(
    "/needs",
    status_code=201,
    response_model=NeedRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: ("idempotency_key_reused",),
                422: ("uscc_required", "institution_unknown", "idempotency_key_invalid"),
            },
        ),
    },
)
async def create_need(
    request: Request, body: NeedCreate, principal: Annotated[Principal, Depends(need_writer)]
) -> JSONResponse:
    """File a financing need (融资需求) for an enterprise: by the enterprise itself, or by an
    officer of its region. It is matched to the product catalogue at once."""
    outcome = await service.create_need(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get("/needs", response_model=NeedPage, responses=problems(codes={403: _CALLER}))
async def list_needs(
    request: Request,
    filters: Annotated[NeedFilters, Query()],
    principal: Annotated[Principal, Depends(need_reader)],
) -> NeedPage:
    """Needs of the officer's region, of the enterprise itself, or (an institution's client)
    those addressed to its institution or matched to its products."""
    return await service.list_needs(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/needs/{need_id}",
    response_model=NeedRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("need_not_found",), 403: _CALLER}),
    },
)
async def get_need(
    request: Request,
    need_id: IdPath,
    principal: Annotated[Principal, Depends(need_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    need = await service.get_need(request.app.state.database, need_id=need_id, actor=principal)
    return versioned_response(need, need.version, if_none_match=if_none_match)


@router.patch(
    "/needs/{need_id}",
    response_model=NeedRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("need_not_found",),
                409: ("version_required", "version_conflict"),
                422: (
                    "need_transition_not_allowed",
                    "need_not_editable",
                    "institution_unknown",
                    "if_match_invalid",
                    "if_match_mismatch",
                ),
            },
        ),
    },
)
async def update_need(
    request: Request,
    need_id: IdPath,
    body: NeedUpdate,
    principal: Annotated[Principal, Depends(need_writer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change a need while it is open or matched (it is matched again), or withdraw it
    (``status: withdrawn``); needs the version you read (``version`` or ``If-Match``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    need = await service.update_need(
        request.app.state.database, need_id=need_id, command=command, actor=principal
    )
    return versioned_response(need, need.version)


@router.get(
    "/needs/{need_id}/matches",
    response_model=MatchList,
    responses=problems(404, codes={404: ("need_not_found",), 403: _CALLER}),
)
async def list_need_matches(
    request: Request, need_id: IdPath, principal: Annotated[Principal, Depends(need_reader)]
) -> MatchList:
    """The need scored against every active product (of the addressed institutions only, when it
    names some): eligible first, then by score, with each criterion's reason in English and
    Chinese. An institution sees its own products' scores only."""
    return await service.list_matches(request.app.state.database, need_id=need_id, actor=principal)
