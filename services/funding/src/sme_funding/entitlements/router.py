from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from sme_common.api import (
    ETAG_HEADER,
    NOT_MODIFIED,
    IdPath,
    UsccPath,
    expected_version,
    versioned_response,
)
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_funding.dependencies import officer_writer, own_reader
from sme_funding.entitlements import service
from sme_funding.entitlements.schemas import (
    Cancellation,
    EnterpriseEntitlementFilters,
    EntitlementDetail,
    EntitlementFilters,
    EntitlementPage,
)

router = APIRouter(tags=["entitlements"])

NOT_FOUND = {404: ("entitlement_not_found",)}
IF_MATCH_CODES = ("if_match_invalid", "if_match_mismatch")


@router.get(
    "/entitlements",
    response_model=EntitlementPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_entitlements(
    request: Request,
    principal: Annotated[Principal, Depends(own_reader)],
    filters: Annotated[EntitlementFilters, Query()],
) -> EntitlementPage:
    """Entitlements (免申即享) in your region — an enterprise sees its own — by status, policy,
    enterprise, 市州 (``region``), year or certificate; in id order."""
    return await service.list_entitlements(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/entitlements/{entitlement_id}",
    response_model=EntitlementDetail,
    responses={200: {"headers": ETAG_HEADER}, **NOT_MODIFIED, **problems(404, codes=NOT_FOUND)},
)
async def get_entitlement(
    request: Request,
    entitlement_id: IdPath,
    principal: Annotated[Principal, Depends(own_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One entitlement with the engine's explanation and its status history; its ``ETag`` is the
    version to send back with a change."""
    detail = await service.get_entitlement(
        request.app.state.database, entitlement_id=entitlement_id, actor=principal
    )
    return versioned_response(detail, detail.version, if_none_match=if_none_match)


@router.post(
    "/entitlements/{entitlement_id}/cancel",
    response_model=EntitlementDetail,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                **NOT_FOUND,
                409: ("version_required", "version_conflict", "entitlement_status_conflict"),
                422: IF_MATCH_CODES,
            },
        ),
    },
)
async def cancel_entitlement(
    request: Request,
    entitlement_id: IdPath,
    body: Cancellation,
    principal: Annotated[Principal, Depends(officer_writer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Cancel (取消) an entitlement that is blocked or pending approval, with the reason; send the
    version you read (``If-Match`` or ``version``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    detail = await service.cancel_entitlement(
        request.app.state.database,
        entitlement_id=entitlement_id,
        command=command,
        actor=principal,
    )
    return versioned_response(detail, detail.version)


@router.get(
    "/enterprises/{uscc}/entitlements",
    response_model=EntitlementPage,
    responses=problems(404, codes={404: ("enterprise_not_found",), 422: ("cursor_invalid",)}),
)
async def list_enterprise_entitlements(
    request: Request,
    uscc: UsccPath,
    principal: Annotated[Principal, Depends(own_reader)],
    filters: Annotated[EnterpriseEntitlementFilters, Query()],
) -> EntitlementPage:
    """One enterprise's entitlements (an enterprise: its own only)."""
    return await service.enterprise_entitlements(
        request.app.state.database, uscc=uscc, filters=filters, actor=principal
    )
