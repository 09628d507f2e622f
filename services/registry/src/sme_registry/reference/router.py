"""Reference data for callers: reporting units, regions and industry sections with Chinese names."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from sme_common.auth import Principal, Role, require
from sme_registry.reference.models import ReferenceIndustrySection, ReferenceRegion

router = APIRouter(prefix="/reference", tags=["reference data"])
reader = require(roles=list(Role), scope="registry:read")


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    level: str
    parent_code: str | None
    reporting_unit_code: str | None
    valid_from_year: int | None
    valid_to_year: int | None


class IndustrySectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    first_division: int
    last_division: int


@router.get("/regions", response_model=list[RegionRead])
async def list_regions(
    request: Request,
    _principal: Annotated[Principal, Depends(reader)],
    parent_code: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
) -> list[ReferenceRegion]:
    query = select(ReferenceRegion).order_by(ReferenceRegion.code)
    if parent_code is not None:
        query = query.where(ReferenceRegion.parent_code == parent_code)
    async with request.app.state.database.sessionmaker() as session:
        return list((await session.execute(query)).scalars())


@router.get("/industry-sections", response_model=list[IndustrySectionRead])
async def list_industry_sections(
    request: Request, _principal: Annotated[Principal, Depends(reader)]
) -> list[ReferenceIndustrySection]:
    async with request.app.state.database.sessionmaker() as session:
        result = await session.execute(
            select(ReferenceIndustrySection).order_by(ReferenceIndustrySection.code)
        )
        return list(result.scalars())
