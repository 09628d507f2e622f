"""``GET /enterprises/{uscc}/profile``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_registry.dependencies import UsccPath, own_record_reader
from sme_registry.profile import service
from sme_registry.profile.schemas import Profile

router = APIRouter(tags=["enterprise profile"])


@router.get(
    "/enterprises/{uscc}/profile",
    response_model=Profile,
    dependencies=[audit_read("enterprise_profile", own_record_reader)],
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def get_profile(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_record_reader)]
) -> Profile:
    """The enterprise with its facts, size class, pools, flags, titles, service people, support,
    financing and complaint records: the one call an agency system makes to see everything."""
    return await service.profile(request.app.state.database, uscc, principal)
