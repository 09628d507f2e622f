from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from sme_common.auth import Principal
from sme_registry.enterprises.router import UsccPath, reader, writer
from sme_registry.facts import service
from sme_registry.facts.schemas import FactsPage, FactsRead, FactsWrite

router = APIRouter(tags=["yearly facts"])
Year = Annotated[int, Path(ge=1949, le=2200)]


@router.put("/enterprises/{uscc}/facts/{year}", response_model=FactsRead)
async def file_facts(
    request: Request,
    uscc: UsccPath,
    year: Year,
    body: FactsWrite,
    principal: Annotated[Principal, Depends(writer)],
) -> JSONResponse:
    """File (201) or correct (200) one year's facts. Filing the same facts again changes nothing.
    Correcting needs the ``version`` you read."""
    facts, created = await service.file_facts(
        request.app.state.database, uscc=uscc, year=year, command=body, actor=principal
    )
    return JSONResponse(facts.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/enterprises/{uscc}/facts/{year}", response_model=FactsRead)
async def get_facts(
    request: Request, uscc: UsccPath, year: Year, principal: Annotated[Principal, Depends(reader)]
) -> FactsRead:
    return await service.get_facts(
        request.app.state.database, uscc=uscc, year=year, actor=principal
    )


@router.get("/enterprises/{uscc}/facts", response_model=FactsPage)
async def list_facts(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> FactsPage:
    return await service.list_facts(request.app.state.database, uscc=uscc, actor=principal)
