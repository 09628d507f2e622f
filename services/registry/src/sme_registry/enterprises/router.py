"""HTTP endpoints for enterprises: parse, authorise, call the service, answer."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator

from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    LOCATION_HEADER,
    NOT_MODIFIED,
    Instant,
    replay_header,
    versioned_response,
)
from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal, Role, require
from sme_common.errors import InvalidInput, PreconditionRequired, problems
from sme_common.idempotency import idempotency_key_from
from sme_registry.enterprises import service
from sme_registry.enterprises.repository import EnterpriseFilters
from sme_registry.enterprises.schemas import (
    USCC_PATTERN,
    ChangePage,
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseUpdate,
    RevisionPage,
    as_code,
)

router = APIRouter(tags=["enterprises"])

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
writer = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:write")
reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:read")
# A USCC in the path is read like one in a body: any case and width (POST accepts both).
UsccPath = Annotated[str, BeforeValidator(as_code), Path(pattern=USCC_PATTERN)]
# Opaque ids we issued (flag_…, person_…): letters, digits, '_' and '-', nothing else reaches SQL.
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MAX_LIMIT = 200
ETAG = re.compile(r'^(W/)?"?([0-9]{1,9})"?$')


def expected_version(if_match: str | None, version: int | None) -> int | None:
    """The version a write expects, from ``If-Match`` (an ETag we sent: ``"3"``) or the body."""
    if if_match is None:
        return version
    match = ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            "if_match_invalid",
            'If-Match must be the ETag you read, e.g. "3"',
            'If-Match 应为读取时返回的 ETag，例如 "3"',
            field="If-Match",
        )
    etag_version = int(match.group(2))
    if version is not None and version != etag_version:
        raise InvalidInput(
            "if_match_mismatch",
            "If-Match and version disagree",
            "If-Match 与 version 不一致",
            field="If-Match",
        )
    return etag_version


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
    dependencies=[audit_read("enterprise", reader)],
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
    principal: Annotated[Principal, Depends(reader)],
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
    dependencies=[audit_read("enterprise_search", reader, id_param=None)],
    responses=problems(codes={422: ("cursor_invalid", "q_too_short")}),
)
async def search_enterprises(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    region_code: Annotated[
        str | None, BeforeValidator(as_code), Query(pattern=r"^[0-9]{6}$")
    ] = None,
    reporting_unit_code: Annotated[
        str | None, BeforeValidator(as_code), Query(pattern=r"^[0-9]{6}$")
    ] = None,
    industry: Annotated[
        str | None, BeforeValidator(as_code), Query(pattern=r"^[A-T]([0-9]{2,4})?$")
    ] = None,
    size_class: Literal["micro", "small", "medium", "large"] | None = None,
    tier: Literal["innovative", "specialised", "little_giant"] | None = None,
    pool: Literal["innovative", "specialised", "little_giant", "scale_up", "listing_reserve"]
    | None = None,
    flag: Literal[
        "any", "abnormal_operations", "serious_dishonesty", "major_accident", "data_falsification"
    ]
    | None = None,
    operating_status: Literal["operating", "suspended", "deregistered", "revoked"] | None = None,
    q: Annotated[
        str | None,
        Query(min_length=2, max_length=50, description="part of the name, at least two characters"),
    ] = None,
    updated_since: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> EnterprisePage:
    """Search the register in your region. Filters combine with AND; unknown filters are a 422."""
    filters = EnterpriseFilters(
        region_code=region_code,
        reporting_unit_code=reporting_unit_code,
        industry=industry,
        size_class=size_class,
        tier=tier,
        pool=pool,
        flag=flag,
        operating_status=operating_status,
        q=service.search_text(q),
        updated_since=updated_since,
    )
    return await service.search_enterprises(
        request.app.state.database, actor=principal, filters=filters, limit=limit, cursor=cursor
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
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    updated_since: Instant | None = None,
) -> ChangePage:
    """The change feed: typed entries in commit order. Keep ``next_cursor`` and come back with it."""
    return await service.changes(
        request.app.state.database,
        actor=principal,
        cursor=cursor,
        limit=limit,
        updated_since=updated_since,
    )
