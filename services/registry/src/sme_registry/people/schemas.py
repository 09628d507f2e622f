from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["service_commissioner", "financial_adviser"]


class PersonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    role: Role = Field(
        description="服务专员 (service_commissioner) or 金融顾问 (financial_adviser)"
    )
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="the county or 市州 they serve")
    organisation: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    region_code: str
    reporting_unit_code: str
    organisation: str | None
    phone: str | None
    active: bool
    created_at: datetime


class PersonPage(BaseModel):
    items: list[PersonRead]


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
    assigned_on: date


class AssignmentEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ended_on: date


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: str
    uscc: str
    assigned_on: date
    ended_on: date | None


class EnterprisePeople(BaseModel):
    items: list[PersonRead]


class UncoveredEnterprise(BaseModel):
    uscc: str
    name: str


class CountyGap(BaseModel):
    region_code: str
    region_name: str | None
    enterprises: list[UncoveredEnterprise]


class CommissionerGapReport(BaseModel):
    """小巨人 enterprises without an active service commissioner, by county (seed 004: 一县一专员)."""

    counties: list[CountyGap]
    total: int
