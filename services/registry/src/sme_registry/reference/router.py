"""Reference data for callers: reporting units, regions and industry sections with Chinese names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.auth import Principal
from sme_registry.dependencies import reference_reader
from sme_registry.reference import service
from sme_registry.reference.schemas import IndustrySectionRead, RegionRead

router = APIRouter(prefix="/reference", tags=["reference data"])


@router.get("/regions", response_model=list[RegionRead])
async def list_regions(
    request: Request,
    _principal: Annotated[Principal, Depends(reference_reader)],
    parent_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> list[RegionRead]:
    return await service.list_regions(request.app.state.database, parent_code=parent_code)


@router.get("/industry-sections", response_model=list[IndustrySectionRead])
async def list_industry_sections(
    request: Request, _principal: Annotated[Principal, Depends(reference_reader)]
) -> list[IndustrySectionRead]:
    return await service.list_industry_sections(request.app.state.database)
