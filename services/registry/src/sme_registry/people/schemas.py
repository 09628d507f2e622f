from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.enterprises.schemas import EXAMPLE_AT, EXAMPLE_USCC, RegionCode, Uscc

Role = Literal["service_commissioner", "financial_adviser"]


class PeopleQuery(BaseModel):
    """``GET /people``."""

    role: Role | None = None


class PersonCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "李四",
                    "role": "service_commissioner",
                    "region_code": "620102",
                    "organisation": "城关区工业和信息化局",
                }
            ]
        },
    )

    name: CleanText = Field(min_length=1, max_length=100)
    role: Role = Field(
        description="服务专员 (service_commissioner) or 金融顾问 (financial_adviser)"
    )
    region_code: RegionCode = Field(description="the county or 市州 they serve")
    organisation: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(default=None)
    phone: str | None = Field(default=None, pattern=r"^[0-9+\- ]{5,20}$")


class PersonRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "person_01hq3v6v2k8x",
                    "name": "李四",
                    "role": "service_commissioner",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "organisation": "城关区工业和信息化局",
                    "phone": None,
                    "active": True,
                    "created_at": EXAMPLE_AT,
                }
            ]
        },
    )

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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"uscc": EXAMPLE_USCC, "assigned_on": "2026-03-01"}]},
    )

    uscc: Uscc
    assigned_on: date


class AssignmentEnd(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"ended_on": "2026-09-30"}]},
    )

    ended_on: date


class AssignmentRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "assign_01hq3v6v2k8x",
                    "person_id": "person_01hq3v6v2k8x",
                    "uscc": EXAMPLE_USCC,
                    "assigned_on": "2026-03-01",
                    "ended_on": None,
                    "recorded_by": "user:officer-620100",
                    "ended_at": None,
                    "ended_by": None,
                }
            ]
        },
    )

    id: str
    person_id: str
    uscc: str
    assigned_on: date
    ended_on: date | None
    recorded_by: str
    ended_at: datetime | None
    ended_by: str | None = Field(description="who ended it (null for ends recorded before 2026-11)")


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
