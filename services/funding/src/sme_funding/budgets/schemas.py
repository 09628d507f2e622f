from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_funding.budgets.domain import FundStatus, SourceKind

FUND_ID_PATTERN = r"^fund_[0-9a-f]{12}$"
FundId = Annotated[str, StringConstraints(pattern=FUND_ID_PATTERN)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
FundCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Fen = Annotated[int, Field(ge=0, le=10**14)]
"""Integer fen, at most 1万亿元."""

_FUND: dict[str, Any] = {
    "code": "sme-development-fund",
    "name": "2026年省级中小企业发展专项资金",
    "source_kind": "provincial",
    "year": 2026,
    "province_code": "620000",
    "total_fen": 5_000_000_000,
}


class FundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_FUND]})

    code: FundCode
    """The fund's code, e.g. ``sme-development-fund`` (中小企业发展专项资金)."""
    name: Name
    source_kind: SourceKind
    """central (中央), provincial (省级) or city (市州) money."""
    year: int = Field(ge=2000, le=2100)
    province_code: RegionCode
    total_fen: Fen


class FundFigures(BaseModel):
    allocated_fen: int
    unallocated_fen: int
    committed_fen: int
    """Committed to approved subjects, paid or not (a released commitment keeps what was paid)."""
    paid_fen: int
    recovered_fen: int
    available_fen: int
    """Allocated and not committed: what approvals may still commit."""


class FundRead(FundFigures):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "fund_0123456789ab",
                    **_FUND,
                    "status": "open",
                    "version": 1,
                    "allocated_fen": 1_000_000_000,
                    "unallocated_fen": 4_000_000_000,
                    "committed_fen": 30_000_000,
                    "paid_fen": 0,
                    "recovered_fen": 0,
                    "available_fen": 970_000_000,
                    "created_at": "2026-06-10T02:00:00+00:00",
                    "created_by": "officer-620000-1",
                }
            ]
        }
    )

    id: str
    code: str
    name: str
    source_kind: SourceKind
    year: int
    province_code: str
    total_fen: int
    status: FundStatus
    version: int
    created_at: datetime
    created_by: str


class FundFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, ge=2000, le=2100)
    source_kind: SourceKind | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: CursorParameter = None


class FundPage(BaseModel):
    items: list[FundRead]
    next_cursor: str | None = None


class AllocationSet(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"amount_fen": 1_000_000_000}]}
    )

    amount_fen: Fen
    """The region's whole allocation (not a change): the fund's allocations stay within its
    total, and an allocation never falls below what is committed against it."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match); none for a new allocation."""


class AllocationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "alloc_0123456789ab",
                    "fund_id": "fund_0123456789ab",
                    "fund_code": "sme-development-fund",
                    "year": 2026,
                    "region_code": "620100",
                    "amount_fen": 1_000_000_000,
                    "committed_fen": 30_000_000,
                    "paid_fen": 0,
                    "recovery_raised_fen": 0,
                    "recovered_fen": 0,
                    "available_fen": 970_000_000,
                    "version": 2,
                    "updated_at": "2026-06-10T02:00:00+00:00",
                    "updated_by": "officer-620000-1",
                }
            ]
        }
    )

    id: str
    fund_id: str
    fund_code: str
    year: int
    region_code: str
    amount_fen: int
    committed_fen: int
    paid_fen: int
    recovery_raised_fen: int
    recovered_fen: int
    available_fen: int
    version: int
    updated_at: datetime
    updated_by: str


class AllocationFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fund_id: FundId | None = None
    year: int | None = Field(default=None, ge=2000, le=2100)
    limit: int = Field(default=100, ge=1, le=500)
    cursor: CursorParameter = None


class AllocationPage(BaseModel):
    items: list[AllocationRead]
    next_cursor: str | None = None
