"""Response models of the reference data endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


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
