"""Request and response models of the enterprise endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from sme_common.api import Instant, as_code
from sme_common.ids import USCC_PATTERN, make_uscc
from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.enterprises.domain import OperatingStatus
from sme_registry.flags.domain import FlagKind
from sme_registry.pools.domain import Pool, Tier
from sme_registry.sizing.domain import SizeClass

Code = Annotated[str, BeforeValidator(as_code)]
"""A code (USCC, region, industry) as stored: half-width and upper case (sme_common.text)."""
Uscc = Annotated[Code, Field(pattern=USCC_PATTERN, description="统一社会信用代码 (GB 32100-2015)")]
RegionCode = Annotated[Code, Field(pattern=r"^[0-9]{6}$", description="GB/T 2260 region code")]
IndustryPrefix = Annotated[
    Code, Field(pattern=r"^[A-T]([0-9]{2,4})?$", description="GB/T 4754-2017 section or prefix")
]

# A valid code (GB 32100-2015 check digits) for the examples of the OpenAPI document.
EXAMPLE_USCC = make_uscc(region="620102", body="MA000001")
EXAMPLE_AT = "2026-03-02T09:30:00+08:00"
EXAMPLE_ENTERPRISE: dict[str, Any] = {
    "uscc": EXAMPLE_USCC,
    "name": "兰州示例精密科技有限公司",
    "former_names": [{"name": "兰州示例精密制造有限公司", "until": "2026-03-01"}],
    "legal_representative": "张三",
    "region_code": "620102",
    "reporting_unit_code": "620100",
    "industry_code": "C3911",
    "founded_on": "2015-06-01",
    "operating_status": "operating",
    "tier": "specialised",
    "size_class": "small",
    "size_class_year": 2025,
    "version": 4,
    "created_at": EXAMPLE_AT,
    "updated_at": EXAMPLE_AT,
}


class EnterpriseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "uscc": EXAMPLE_USCC,
                    "name": "兰州示例精密制造有限公司",
                    "legal_representative": "张三",
                    "region_code": "620102",
                    "industry_code": "C3911",
                    "founded_on": "2015-06-01",
                }
            ]
        },
    )

    uscc: Code = Field(min_length=1, max_length=40, description="统一社会信用代码 (GB 32100-2015)")
    name: CleanText = Field(min_length=1, max_length=200)
    legal_representative: Annotated[str, Field(max_length=100), CLEAN_TEXT] | None = Field(
        default=None
    )
    region_code: RegionCode = Field(description="Registration region, GB/T 2260")
    reporting_unit_code: RegionCode | None = Field(
        default=None,
        description="市州 or 兰州新区 (620171); derived from region_code when omitted",
    )
    industry_code: Code | None = Field(
        default=None, max_length=5, description="GB/T 4754-2017 code, e.g. C or C3911"
    )
    founded_on: date | None = None
    operating_status: OperatingStatus = OperatingStatus.OPERATING


class EnterpriseUpdate(BaseModel):
    """A partial update. ``version`` is the version the caller read (optimistic locking)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"version": 3, "name": "兰州示例精密科技有限公司"}]},
    )

    version: int | None = Field(
        default=None,
        ge=1,
        description="The version you read (or send its ETag as If-Match); a stale one is a 409",
    )
    name: Annotated[str, Field(min_length=1, max_length=200), CLEAN_TEXT] | None = Field(
        default=None
    )
    legal_representative: Annotated[str, Field(max_length=100), CLEAN_TEXT] | None = Field(
        default=None
    )
    region_code: RegionCode | None = None
    reporting_unit_code: RegionCode | None = None
    industry_code: Code | None = Field(default=None, max_length=5)
    founded_on: date | None = None
    operating_status: OperatingStatus | None = None


class FormerName(BaseModel):
    name: str
    until: date


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [EXAMPLE_ENTERPRISE]},
    )

    uscc: str
    name: str
    former_names: list[FormerName]
    legal_representative: str | None
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    founded_on: date | None
    operating_status: OperatingStatus
    tier: str | None
    size_class: str | None
    size_class_year: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class EnterprisePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_ENTERPRISE], "next_cursor": None}]}
    )

    items: list[EnterpriseRead]
    next_cursor: str | None


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change_type: str
    recorded_at: datetime
    recorded_by: str
    snapshot: dict[str, Any]


class RevisionPage(BaseModel):
    items: list[RevisionRead]


ChangeType = Literal[
    "registered", "updated", "facts_filed", "size_class_changed", "pool_changed", "flags_changed"
]


class ChangeEntry(BaseModel):
    position: int
    type: ChangeType
    uscc: str
    occurred_at: datetime
    event_id: str
    data: dict[str, Any]
    region_code_before: str = Field(description="where the enterprise was before this change")
    reporting_unit_code_before: str
    region_code_after: str = Field(description="where it is after it (differs on a move)")
    reporting_unit_code_after: str


class ChangePage(BaseModel):
    items: list[ChangeEntry]
    next_cursor: str | None


MAX_SEARCH_LIMIT = 200


class EnterpriseFilters(BaseModel):
    """The filters of a register search (``GET /enterprises``) and of an export; they combine
    with AND. Unknown query parameters are a 422 (``query_parameter_unknown``)."""

    # Enum members arrive as their values, which is what the columns hold.
    model_config = ConfigDict(use_enum_values=True)

    region_code: RegionCode | None = None
    reporting_unit_code: RegionCode | None = None
    industry: IndustryPrefix | None = None
    size_class: SizeClass | None = None
    tier: Tier | None = None
    pool: Pool | None = None
    flag: FlagKind | Literal["any"] | None = Field(
        default=None, description="a credit flag in force, of this kind or of `any`"
    )
    operating_status: OperatingStatus | None = None
    q: str | None = Field(
        default=None,
        min_length=2,
        max_length=50,
        description="part of the name, at least two characters",
    )
    updated_since: Instant | None = None


class EnterpriseSearch(EnterpriseFilters):
    """``GET /enterprises``: the filters and a page."""

    limit: int = Field(default=50, ge=1, le=MAX_SEARCH_LIMIT)
    cursor: CursorParameter = None


class ChangeFeedQuery(BaseModel):
    """``GET /changes``."""

    cursor: CursorParameter = None
    limit: int = Field(default=200, ge=1, le=1000)
    updated_since: Instant | None = None
