"""HTTP endpoints for enterprises: parse, authorise, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from sme_common.auth import Principal, Role, require
from sme_common.idempotency import idempotency_key_from
from sme_registry.enterprises import service
from sme_registry.enterprises.schemas import EnterpriseCreate, EnterpriseRead

router = APIRouter(tags=["enterprises"])

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
writer = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:write")
reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:read")
UsccPath = Annotated[str, Path(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")]


@router.post("/enterprises", status_code=201, response_model=EnterpriseRead)
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
    response.headers["Location"] = f"{request.url.path}/{outcome.body['uscc']}"
    return response


@router.get("/enterprises/{uscc}", response_model=EnterpriseRead)
async def get_enterprise(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> EnterpriseRead:
    return await service.get_enterprise(request.app.state.database, uscc=uscc, actor=principal)
