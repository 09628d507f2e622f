from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.enterprises.schemas import EXAMPLE_AT, EXAMPLE_USCC
from sme_registry.flags.domain import FlagKind


class FlagCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "abnormal_operations",
                    "source": "市场监督管理局",
                    "reference": "甘市监异〔2026〕12号",
                    "started_on": "2026-02-01",
                }
            ]
        },
    )

    kind: FlagKind
    source: CleanText = Field(min_length=1, max_length=100, description="e.g. 市场监管局, 信用中国")
    reference: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(
        default=None, description="the source's own id"
    )
    started_on: date
    ended_on: date | None = None
    note: Annotated[str, Field(max_length=1000), CLEAN_TEXT] | None = Field(default=None)


class FlagUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"version": 1, "ended_on": "2026-05-01", "note": "已移出经营异常名录"}]
        },
    )

    version: int = Field(ge=1)
    ended_on: date | None = None
    note: Annotated[str, Field(max_length=1000), CLEAN_TEXT] | None = Field(default=None)


class FlagRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "flag_01hq3v6v2k8x",
                    "uscc": EXAMPLE_USCC,
                    "kind": "abnormal_operations",
                    "source": "市场监督管理局",
                    "reference": "甘市监异〔2026〕12号",
                    "started_on": "2026-02-01",
                    "ended_on": None,
                    "note": None,
                    "active": True,
                    "version": 1,
                    "recorded_at": EXAMPLE_AT,
                    "recorded_by": "user:officer-620100",
                }
            ]
        },
    )

    id: str
    uscc: str
    kind: FlagKind
    source: str
    reference: str | None
    started_on: date
    ended_on: date | None
    note: str | None
    active: bool = False
    version: int
    recorded_at: datetime
    recorded_by: str


class FlagPage(BaseModel):
    items: list[FlagRead]


class FlagRevisionRead(BaseModel):
    """One version of a flag: what it said from ``recorded_at`` on, and who changed it."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    change: str = Field(description="raised, updated or lifted")
    kind: FlagKind
    source: str
    reference: str | None
    started_on: date
    ended_on: date | None
    note: str | None
    recorded_at: datetime
    recorded_by: str


class FlagHistory(BaseModel):
    flag_id: str
    items: list[FlagRevisionRead]
