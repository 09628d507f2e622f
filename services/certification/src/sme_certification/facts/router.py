from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sme_certification.dependencies import own_reader
from sme_certification.facts import service
from sme_certification.facts.schemas import EnterpriseFactsRead
from sme_common.api import UsccPath
from sme_common.auth import Principal
from sme_common.errors import problems

router = APIRouter(tags=["registry facts"])


@router.get(
    "/enterprises/{uscc}/facts",
    response_model=EnterpriseFactsRead,
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def get_enterprise_facts(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_reader)]
) -> EnterpriseFactsRead:
    """The registry facts an application is built from: every year filed, the credit flags and the
    size class, as registry last announced them."""
    return await service.enterprise_facts(request.app.state.database, uscc=uscc, actor=principal)
