"""Request and response models of the enterprise endpoints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from sme_registry.enterprises.domain import OperatingStatus


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    uscc: str = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100-2015)")
    name: str = Field(min_length=1, max_length=200)
    legal_representative: str | None = Field(default=None, max_length=100)
    region_code: str = Field(pattern=r"^[0-9]{6}$", description="Registration region, GB/T 2260")
    reporting_unit_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}$",
        description="市州 or 兰州新区 (620171); derived from region_code when omitted",
    )
    industry_code: str | None = Field(
        default=None, max_length=5, description="GB/T 4754-2017 code, e.g. C or C3911"
    )
    founded_on: date | None = None
    operating_status: OperatingStatus = OperatingStatus.OPERATING


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    uscc: str
    name: str
    legal_representative: str | None
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    founded_on: date | None
    operating_status: OperatingStatus
    version: int
    created_at: datetime
    updated_at: datetime
