"""HTTP endpoints for enterprises: parse, authorise, call the service, answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    LOCATION_HEADER,
    NOT_MODIFIED,
    replay_header,
    versioned_response,
)
from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_common.errors import PreconditionRequired, problems
from sme_common.idempotency import idempotency_key_from
from sme_registry.dependencies import UsccPath, expected_version, own_record_reader, reader, writer
from sme_registry.enterprises import service
from sme_registry.enterprises.schemas import (
    ChangeFeedQuery,
    ChangePage,
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseSearch,
    EnterpriseUpdate,
    RevisionPage,
)

router = APIRouter(tags=["enterprises"])


@router.post(
    "/enterprises",
    status_code=201,
    response_model=EnterpriseRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": {**LOCATION_HEADER, **replay_header()}},
        **problems(
            409,
            codes={
                409: ("enterprise_exists", "idempotency_key_reused"),
                422: (
                    "uscc_invalid",
                    "region_unknown",
                    "reporting_unit_mismatch",
                    "industry_code_invalid",
                    "founded_on_in_future",
                    "name_required",
                    "idempotency_key_invalid",
                ),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def register_enterprise(
    request: Request,
    body: EnterpriseCreate,
    principal: Annotated[Principal, Depends(writer)],
) -> JSONResponse:
    """Register an enterprise. Send an ``Idempotency-Key`` so that a retry never registers twice."""
    outcome = await service.register_enterprise(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    response = outcome.response()
    if outcome.status_code == 201:
        response.headers["Location"] = f"{request.url.path}/{outcome.body['uscc']}"
    return response


@router.patch(
    "/enterprises/{uscc}",
    response_model=EnterpriseRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: ("version_conflict",),
                428: ("version_required",),
                422: (
                    "if_match_invalid",
                    "if_match_mismatch",
                    "region_unknown",
                    "reporting_unit_mismatch",
                    "industry_code_invalid",
                    "founded_on_in_future",
                    "name_required",
                    "operating_status_required",
                ),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def update_enterprise(
    request: Request,
    uscc: UsccPath,
    body: EnterpriseUpdate,
    principal: Annotated[Principal, Depends(writer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change register data. ``version`` (or ``If-Match``) must be the version you read: a stale
    one is a 409 ``version_conflict``, neither a 428 ``version_required``. A former name is kept
    when the name changes. The answer's ``ETag`` is the new version."""
    version = expected_version(if_match, body.version)
    if version is None:
        raise PreconditionRequired(
            "version_required",
            'Send the version you read, as "version" or as If-Match: "<ETag>"',
            "请提供读取时的版本号（version 字段或 If-Match 请求头）",
            field="version",
        )
    command = body.model_copy(update={"version": version})
    enterprise = await service.update_enterprise(
        request.app.state.database, uscc=uscc, command=command, actor=principal
    )
    return versioned_response(enterprise, enterprise.version)


@router.get(
    "/enterprises/{uscc}",
    response_model=EnterpriseRead,
    dependencies=[audit_read("enterprise", own_record_reader)],
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(
            404,
            codes={
                404: ("enterprise_not_found", "enterprise_not_registered_then"),
                422: ("as_of_in_future",),
            },
        ),
    },
)
async def get_enterprise(
    request: Request,
    uscc: UsccPath,
    principal: Annotated[Principal, Depends(own_record_reader)],
    as_of: Annotated[
        date | None, Query(description="the entry as it stood at the end of this day")
    ] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The register entry; its ``ETag`` is the version. With ``If-None-Match`` set to the ETag
    you hold, an unchanged entry answers 304 without a body."""
    enterprise = await service.get_enterprise(
        request.app.state.database, uscc=uscc, actor=principal, as_of=as_of
    )
    return versioned_response(enterprise, enterprise.version, if_none_match=if_none_match)


@router.get(
    "/enterprises/{uscc}/history",
    response_model=RevisionPage,
    dependencies=[audit_read("enterprise_history", reader)],
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def get_enterprise_history(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> RevisionPage:
    return await service.enterprise_history(request.app.state.database, uscc=uscc, actor=principal)


@router.get(
    "/enterprises",
    response_model=EnterprisePage,
    dependencies=[audit_read("enterprise_search", own_record_reader, id_param=None)],
    responses=problems(codes={422: ("cursor_invalid", "q_too_short")}),
)
async def search_enterprises(
    request: Request,
    principal: Annotated[Principal, Depends(own_record_reader)],
    search: Annotated[EnterpriseSearch, Query()],
) -> EnterprisePage:
    """Search the register in your region. Filters combine with AND; unknown filters are a 422."""
    return await service.search_enterprises(
        request.app.state.database, actor=principal, search=search
    )


@router.get(
    "/changes",
    response_model=ChangePage,
    dependencies=[audit_read("enterprise_changes", reader, id_param=None)],
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_changes(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    query: Annotated[ChangeFeedQuery, Query()],
) -> ChangePage:
    """The change feed: typed entries in commit order. Keep ``next_cursor`` and come back with it."""
    return await service.changes(request.app.state.database, actor=principal, query=query)
