from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.enterprises.schemas import EXAMPLE_AT
from sme_registry.pools.domain import Pool


class PoolMove(BaseModel):
    """An officer's move: enter or leave a pool, on a date, with a reason."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "action": "enter",
                    "pool": "specialised",
                    "on": "2026-03-01",
                    "reason": "认定为专精特新中小企业",
                }
            ]
        },
    )

    action: Literal["enter", "leave"]
    pool: Pool
    on: date
    reason: CleanText = Field(min_length=1, max_length=500)
    source_ref: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(
        default=None, description="e.g. a document number"
    )


class PoolEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    pool: Pool
    entered_on: date
    left_on: date | None
    reason: str
    left_reason: str | None
    source: str
    source_ref: str | None
    recorded_at: datetime
    recorded_by: str


class PoolPath(BaseModel):
    """Current pools and the whole path (动态管理)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current": ["specialised"],
                    "path": [
                        {
                            "id": "pool_01hq3v6v2k8x",
                            "pool": "specialised",
                            "entered_on": "2026-03-01",
                            "left_on": None,
                            "reason": "认定为专精特新中小企业",
                            "left_reason": None,
                            "source": "officer",
                            "source_ref": None,
                            "recorded_at": EXAMPLE_AT,
                            "recorded_by": "user:officer-620100",
                        }
                    ],
                }
            ]
        }
    )

    current: list[Pool]
    path: list[PoolEntryRead]
