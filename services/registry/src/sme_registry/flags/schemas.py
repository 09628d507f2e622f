from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.flags.domain import FlagKind


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: FlagKind
    source: CleanText = Field(min_length=1, max_length=100, description="e.g. 市场监管局, 信用中国")
    reference: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(
        default=None, description="the source's own id"
    )
    started_on: date
    ended_on: date | None = None
    note: Annotated[str, Field(max_length=1000), CLEAN_TEXT] | None = Field(default=None)


class FlagUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    version: int = Field(ge=1)
    ended_on: date | None = None
    note: Annotated[str, Field(max_length=1000), CLEAN_TEXT] | None = Field(default=None)


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
