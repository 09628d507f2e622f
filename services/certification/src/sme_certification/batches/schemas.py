from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_certification.batches.domain import BatchStatus
from sme_certification.rules.facts import Level, Tier

UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Count = Annotated[int, Field(ge=0, le=100_000)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

_EXAMPLE: dict[str, Any] = {
    "tier": "specialised",
    "level": "provincial",
    "year": 2026,
    "title": "2026年度省级专精特新中小企业认定（第一批）",
    "province_code": "620000",
    "opens_on": "2026-06-01",
    "closes_on": "2026-06-30",
    "city_caps": {"620100": 40},
    "city_minimums": {"620100": 20},
}


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    tier: Tier
    """innovative (创新型; from 2026 科技和创新型), specialised (专精特新), little_giant (小巨人)."""
    level: Level
    year: int = Field(ge=2022, le=2100)
    title: Title
    province_code: UnitCode
    """The province that runs the batch (GB/T 2260, e.g. 620000)."""
    opens_on: date
    closes_on: date
    """Last day of filing (inclusive)."""
    city_caps: dict[UnitCode, Count] = Field(default_factory=dict)
    """名额: most recommendations per 市州 (reporting unit code); a 市州 not named has no cap."""
    city_minimums: dict[UnitCode, Count] = Field(default_factory=dict)
    """Fewest recommendations expected per 市州 (reported against, never refusing more)."""


class BatchUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "open", "version": 1}]},
    )

    title: Title | None = None
    opens_on: date | None = None
    closes_on: date | None = None
    city_caps: dict[UnitCode, Count] | None = None
    city_minimums: dict[UnitCode, Count] | None = None
    status: BatchStatus | None = None
    """draft → open → closed."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class BatchRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "batch_0123456789ab",
                    **_EXAMPLE,
                    "status": "draft",
                    "version": 1,
                    "created_at": "2026-05-20T02:00:00+00:00",
                    "created_by": "officer-620000-1",
                    "updated_at": "2026-05-20T02:00:00+00:00",
                    "updated_by": "officer-620000-1",
                }
            ]
        },
    )

    id: str
    tier: Tier
    level: Level
    year: int
    title: str
    province_code: str
    opens_on: date
    closes_on: date
    status: BatchStatus
    city_caps: dict[str, int]
    city_minimums: dict[str, int]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class BatchPage(BaseModel):
    items: list[BatchRead]


class BatchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: Tier | None = None
    level: Level | None = None
    year: int | None = Field(default=None, ge=2022, le=2100)
    status: BatchStatus | None = None


class UnitCountRead(BaseModel):
    reporting_unit_code: str
    recommended: int
    """Applications of the 市州 recommended (or further along) and not returned."""
    cap: int | None
    remaining: int | None
    minimum: int | None
    shortfall: int
    """How many more the 市州 should recommend to reach its minimum (0 when reached)."""


class RecommendationReport(BaseModel):
    batch_id: str
    units: list[UnitCountRead]
