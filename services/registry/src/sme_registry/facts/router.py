from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse

from sme_common.auth import Principal
from sme_registry.enterprises.router import UsccPath, expected_version, reader, writer
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
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """File (201) or correct (200) one year's facts. Correcting needs the ``version`` you read
    (in the body or as ``If-Match``): without it a filed year is a 409 ``version_required``, a
    stale one a 409 ``version_conflict``. The same facts again change nothing."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    facts, created = await service.file_facts(
        request.app.state.database, uscc=uscc, year=year, command=command, actor=principal
    )
    return JSONResponse(
        facts.model_dump(mode="json"),
        status_code=201 if created else 200,
        headers={"ETag": f'"{facts.version}"'},
    )


@router.get("/enterprises/{uscc}/facts/{year}", response_model=FactsRead)
async def get_facts(
    request: Request, uscc: UsccPath, year: Year, principal: Annotated[Principal, Depends(reader)]
) -> JSONResponse:
    """One year's facts; the ``ETag`` is the version to send back (``If-Match``) to correct them."""
    facts = await service.get_facts(
        request.app.state.database, uscc=uscc, year=year, actor=principal
    )
    return JSONResponse(facts.model_dump(mode="json"), headers={"ETag": f'"{facts.version}"'})


@router.get("/enterprises/{uscc}/facts", response_model=FactsPage)
async def list_facts(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> FactsPage:
    return await service.list_facts(request.app.state.database, uscc=uscc, actor=principal)
