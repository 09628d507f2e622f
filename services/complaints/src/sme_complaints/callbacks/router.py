from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.api import IdPath
from sme_common.auth import Principal, Role, require
from sme_common.errors import problems
from sme_complaints.callbacks import service
from sme_complaints.callbacks.schemas import (
    ChangePage,
    ChannelCreate,
    ChannelPage,
    ChannelRead,
    ChannelUpdate,
    DeliveryPage,
    DeliveryRead,
    PageQuery,
)

router = APIRouter(tags=["channels"])

channel_manager = require(
    roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope="complaints:write"
)
"""Channels are registered and changed by the province's officers or the platform admin."""
channel_reader = require(
    roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN, Role.HOTLINE, Role.AGENCY_SYSTEM),
    scope="complaints:read",
)
"""The province and the admin read every channel; a hotline or agency system only its own (the
channel whose ``client_id`` its token carries)."""

URL_CODES = ("callback_url_invalid", "callback_url_not_https")
NOT_FOUND = ("channel_not_found",)
CURSOR_CODES = ("cursor_invalid",)


@router.post(
    "/channels",
    status_code=201,
    response_model=ChannelRead,
    responses=problems(409, codes={409: ("channel_client_exists",), 422: URL_CODES}),
)
async def register_channel(
    request: Request, body: ChannelCreate, principal: Annotated[Principal, Depends(channel_manager)]
) -> ChannelRead:
    """Register a channel: its name, the ``client_id`` of its machine token, the callback URL
    (https) and the shared secret status callbacks are signed with (never shown again)."""
    return await service.register_channel(
        request.app.state.database,
        command=body,
        settings=request.app.state.settings,
        actor=principal,
    )


@router.get("/channels", response_model=ChannelPage)
async def list_channels(
    request: Request, _principal: Annotated[Principal, Depends(channel_manager)]
) -> ChannelPage:
    """Every channel."""
    return await service.list_channels(request.app.state.database)


@router.get(
    "/channels/{channel_id}",
    response_model=ChannelRead,
    responses=problems(404, codes={404: NOT_FOUND}),
)
async def get_channel(
    request: Request, channel_id: IdPath, principal: Annotated[Principal, Depends(channel_reader)]
) -> ChannelRead:
    """One channel (a hotline or agency token: its own only)."""
    return await service.get_channel(
        request.app.state.database, channel_id=channel_id, actor=principal
    )


@router.patch(
    "/channels/{channel_id}",
    response_model=ChannelRead,
    responses=problems(
        404, 409, codes={404: NOT_FOUND, 409: ("version_conflict",), 422: URL_CODES}
    ),
)
async def update_channel(
    request: Request,
    channel_id: IdPath,
    body: ChannelUpdate,
    principal: Annotated[Principal, Depends(channel_manager)],
) -> ChannelRead:
    """Change a channel's name, URL, secret or status (``suspended`` holds its deliveries);
    needs the version read."""
    return await service.update_channel(
        request.app.state.database,
        channel_id=channel_id,
        command=body,
        settings=request.app.state.settings,
        actor=principal,
    )


@router.get(
    "/channels/{channel_id}/deliveries",
    response_model=DeliveryPage,
    responses=problems(404, codes={404: NOT_FOUND, 422: CURSOR_CODES}),
)
async def list_channel_deliveries(
    request: Request,
    channel_id: IdPath,
    query: Annotated[PageQuery, Query()],
    principal: Annotated[Principal, Depends(channel_reader)],
) -> DeliveryPage:
    """The delivery log: every status change queued for the channel, its state and every attempt
    (when, the status code answered, the error)."""
    return await service.list_deliveries(
        request.app.state.database, channel_id=channel_id, query=query, actor=principal
    )


@router.post(
    "/channels/{channel_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    responses=problems(
        404,
        409,
        codes={404: (*NOT_FOUND, "delivery_not_found"), 409: ("delivery_already_acknowledged",)},
    ),
)
async def retry_channel_delivery(
    request: Request,
    channel_id: IdPath,
    delivery_id: IdPath,
    principal: Annotated[Principal, Depends(channel_manager)],
) -> DeliveryRead:
    """Make an unacknowledged delivery due now (after the receiver was fixed)."""
    return await service.retry_delivery(
        request.app.state.database,
        channel_id=channel_id,
        delivery_id=delivery_id,
        actor=principal,
    )


@router.get(
    "/channels/{channel_id}/changes",
    response_model=ChangePage,
    responses=problems(404, codes={404: NOT_FOUND, 422: CURSOR_CODES}),
)
async def list_channel_changes(
    request: Request,
    channel_id: IdPath,
    query: Annotated[PageQuery, Query()],
    principal: Annotated[Principal, Depends(channel_reader)],
) -> ChangePage:
    """The channel's status changes in order, for a channel that polls (``next_cursor`` of the
    previous page as ``cursor``)."""
    return await service.list_changes(
        request.app.state.database, channel_id=channel_id, query=query, actor=principal
    )
