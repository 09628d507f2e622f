from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_finance_matching.fields import Name, UnitCode, Uscc
from sme_finance_matching.institutions.domain import InstitutionKind, InstitutionStatus, Tier

ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
"""An OAuth2 client id as the issuer registered it (the token's ``client_id`` claim)."""
RegionCodes = Annotated[list[UnitCode], Field(min_length=1, max_length=40)]
Tiers = Annotated[list[Tier], Field(min_length=1, max_length=3)]

_EXAMPLE: dict[str, Any] = {
    "kind": "bank",
    "name": "甘肃示例银行股份有限公司",
    "uscc": "91620100BK0000011H",
    "province_code": "620000",
    "region_codes": ["620100", "620200"],
    "tiers": ["specialised", "little_giant"],
}


class InstitutionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    kind: InstitutionKind
    name: Name
    uscc: Uscc
    province_code: UnitCode
    """The province whose platform it joins (GB/T 2260, e.g. 620000)."""
    region_codes: RegionCodes
    """The 市州 it serves (reporting units, 兰州新区 620171 included), or the province code for all."""
    tiers: Tiers
    """The tiers whose enterprises it is sent: innovative, specialised, little_giant."""
    client_ids: list[ClientId] = Field(default_factory=list, max_length=10)
    """OAuth2 clients acting for it (each for this institution only)."""


class InstitutionUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"region_codes": ["620000"], "version": 1}]},
    )

    name: Name | None = None
    region_codes: RegionCodes | None = None
    tiers: Tiers | None = None
    status: InstitutionStatus | None = None
    """active ⇄ suspended; the province's alone."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class ClientLink(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"client_id": "gansu-example-bank"}]}
    )

    client_id: ClientId


class InstitutionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "inst_0123456789ab",
                    **_EXAMPLE,
                    "client_ids": ["gansu-example-bank"],
                    "status": "active",
                    "version": 1,
                    "created_at": "2026-11-20T02:00:00+00:00",
                    "created_by": "officer-620000-1",
                    "updated_at": "2026-11-20T02:00:00+00:00",
                    "updated_by": "officer-620000-1",
                }
            ]
        },
    )

    id: str
    kind: InstitutionKind
    name: str
    uscc: str
    province_code: str
    region_codes: list[str]
    tiers: list[Tier]
    client_ids: list[str]
    status: InstitutionStatus
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class InstitutionPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": InstitutionRead.model_json_schema()["examples"], "next_cursor": None}
            ]
        }
    )

    items: list[InstitutionRead]
    next_cursor: str | None


class InstitutionFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: InstitutionKind | None = None
    status: InstitutionStatus | None = None
    region_code: UnitCode | None = None
    """Only institutions serving this 市州 (or the whole province)."""
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)
