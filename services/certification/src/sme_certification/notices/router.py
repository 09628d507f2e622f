from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_certification.dependencies import province_officer, reviewer
from sme_certification.notices import service
from sme_certification.notices.schemas import (
    NoticeCreate,
    NoticePage,
    NoticeRead,
    ObjectionCreate,
    ObjectionPage,
    ObjectionRead,
    ObjectionReceipt,
    ObjectionResolution,
    PublicNoticeList,
    PublicNoticeQuery,
)
from sme_common.api import IdPath
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.openapi import PUBLIC

router = APIRouter(tags=["notices"])

OBJECTION_CODES = {
    404: ("notice_not_found", "application_not_found"),
    422: ("notice_not_running",),
}


@router.post(
    "/notices",
    status_code=201,
    response_model=NoticeRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("application_not_found",),
            409: ("transition_not_allowed",),
            422: (
                "classified_not_noticed",
                "notice_start_in_past",
                "calendar_year_unknown",
                "province_region_required",
            ),
        },
    ),
)
async def start_notice(
    request: Request,
    body: NoticeCreate,
    principal: Annotated[Principal, Depends(province_officer)],
) -> NoticeRead:
    """Start a public notice (公示) of expert-scored applications of your province; its length is
    the province's (working or calendar days, ``notice_lengths.json``). Classified (涉密)
    applications are refused: they are decided without notice."""
    return await service.start_notice(request.app.state.database, command=body, actor=principal)


@router.get("/notices", response_model=NoticePage)
async def list_notices(
    request: Request, principal: Annotated[Principal, Depends(province_officer)]
) -> NoticePage:
    """The province's notices, newest first."""
    return await service.list_notices(request.app.state.database, actor=principal)


@router.get(
    "/notices/{notice_id}",
    response_model=NoticeRead,
    responses=problems(404, codes={404: ("notice_not_found",)}),
)
async def get_notice(
    request: Request,
    notice_id: IdPath,
    principal: Annotated[Principal, Depends(province_officer)],
) -> NoticeRead:
    """One notice: its days and its applications."""
    return await service.get_notice(
        request.app.state.database, notice_id=notice_id, actor=principal
    )


@router.get(
    "/notices/{notice_id}/objections",
    response_model=ObjectionPage,
    responses=problems(404, codes={404: ("notice_not_found",)}),
)
async def list_objections(
    request: Request,
    notice_id: IdPath,
    principal: Annotated[Principal, Depends(province_officer)],
) -> ObjectionPage:
    """The objections to a notice's applications, with the objectors' contacts (officers only)."""
    return await service.list_objections(
        request.app.state.database, notice_id=notice_id, actor=principal
    )


@router.post(
    "/notices/{notice_id}/objections",
    status_code=201,
    response_model=ObjectionReceipt,
    responses=problems(404, codes=OBJECTION_CODES),
)
async def file_objection_for(
    request: Request,
    notice_id: IdPath,
    body: ObjectionCreate,
    principal: Annotated[Principal, Depends(reviewer)],
) -> ObjectionReceipt:
    """File an objection on someone's behalf (a letter, a call), on an application of your region,
    while the notice runs. It holds the decision until resolved."""
    return await service.file_objection(
        request.app.state.database, notice_id=notice_id, command=body, actor=principal
    )


@router.post(
    "/objections/{objection_id}/resolution",
    response_model=ObjectionRead,
    responses=problems(
        404,
        409,
        codes={404: ("objection_not_found", "application_not_found"), 409: ("objection_resolved",)},
    ),
)
async def resolve_objection(
    request: Request,
    objection_id: IdPath,
    body: ObjectionResolution,
    principal: Annotated[Principal, Depends(province_officer)],
) -> ObjectionRead:
    """Resolve an objection: ``upheld`` rejects the application (不予认定, the resolution as the
    reason); ``dismissed`` lets it go on to the decision once no other objection is open."""
    return await service.resolve_objection(
        request.app.state.database, objection_id=objection_id, command=body, actor=principal
    )


@router.get("/public/notices", response_model=PublicNoticeList, openapi_extra=PUBLIC)
async def public_notices(
    request: Request, query: Annotated[PublicNoticeQuery, Query()]
) -> PublicNoticeList:
    """Public, no token: the notices running today — enterprise name, USCC, title, level and
    region of each application. Classified (涉密) enterprises never appear."""
    return await service.public_notices(
        request.app.state.database, province_code=query.province_code
    )


@router.post(
    "/public/notices/{notice_id}/objections",
    status_code=201,
    response_model=ObjectionReceipt,
    openapi_extra=PUBLIC,
    responses=problems(
        404, 429, codes={**OBJECTION_CODES, 429: ("objection_rate_limited",)}, generic=False
    ),
)
async def file_public_objection(
    request: Request, notice_id: IdPath, body: ObjectionCreate
) -> ObjectionReceipt:
    """Public, no token: an objection under real name with a contact, while the notice runs.
    Sizes are limited and text is cleaned (``CleanText``); the service's request guard limits the
    body. Only the receipt comes back. One client may file a few a day (429 with
    ``Retry-After`` beyond that)."""
    settings = request.app.state.settings
    filer = service.PublicFiler.of(
        request.client.host if request.client else "unknown",
        key=settings.client_fingerprint_key.get_secret_value().encode(),
        per_day=settings.public_objections_per_client_per_day,
    )
    return await service.file_objection(
        request.app.state.database, notice_id=notice_id, command=body, actor=None, filer=filer
    )
