from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from sme_common.api import IDEMPOTENT, replay_header
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_finance_matching.dependencies import push_acknowledger, push_publisher, push_reader
from sme_finance_matching.lists.domain import Schedule
from sme_finance_matching.pushes import service
from sme_finance_matching.pushes.schemas import (
    EnterprisePushPage,
    EnterprisePushRead,
    PushFilters,
    PushPublish,
    PushRunRead,
)

router = APIRouter(tags=["enterprise pushes"])

PushId = Annotated[str, Path(pattern=r"^push_[0-9a-f]{16}$")]


def _schedule(request: Request) -> Schedule:
    return Schedule(getattr(request.app.state.settings, "lists_schedule", Schedule.MONTHLY))


@router.post(
    "/enterprise-push-runs",
    response_model=PushRunRead,
    openapi_extra=IDEMPOTENT,
    responses={
        200: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: ("idempotency_key_reused",),
                422: ("enterprise_not_certified", "idempotency_key_invalid"),
            },
        ),
    },
)
async def publish_enterprise_pushes(
    request: Request, body: PushPublish, principal: Annotated[Principal, Depends(push_publisher)]
) -> JSONResponse:
    """Push now (名单和信贷产品目录推送给企业): every enterprise of your region holding a valid title
    (or the one named) that has no push for the current period gets one — its list entry, the
    institutions whose snapshots of the period include it, the credit products it is eligible
    for. Nothing is pushed twice in a period."""
    outcome = await service.publish_on_demand(
        request.app.state.database,
        command=body,
        actor=principal,
        schedule=_schedule(request),
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get("/enterprise-pushes", response_model=EnterprisePushPage)
async def list_enterprise_pushes(
    request: Request,
    filters: Annotated[PushFilters, Query()],
    principal: Annotated[Principal, Depends(push_reader)],
) -> EnterprisePushPage:
    """Pushes newest first, without their content: the enterprise's own (the listing is logged),
    or those of the officer's region."""
    return await service.list_pushes(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/enterprise-pushes/{push_id}",
    response_model=EnterprisePushRead,
    responses=problems(404, codes={404: ("enterprise_push_not_found",)}),
)
async def get_enterprise_push(
    request: Request, push_id: PushId, principal: Annotated[Principal, Depends(push_reader)]
) -> EnterprisePushRead:
    """A push with its content (``content_sha256`` is the SHA-256 of the content's canonical JSON:
    sorted keys, no spaces, UTF-8). Every read by the enterprise is logged."""
    return await service.get_push(request.app.state.database, push_id=push_id, actor=principal)


@router.post(
    "/enterprise-pushes/{push_id}/ack",
    response_model=EnterprisePushRead,
    responses=problems(404, codes={404: ("enterprise_push_not_found",)}),
)
async def acknowledge_enterprise_push(
    request: Request, push_id: PushId, principal: Annotated[Principal, Depends(push_acknowledger)]
) -> EnterprisePushRead:
    """The enterprise's read receipt: recorded once; acknowledging again answers the first."""
    return await service.acknowledge_push(
        request.app.state.database, push_id=push_id, actor=principal
    )
