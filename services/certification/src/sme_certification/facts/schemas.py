from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class YearRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    year: int
    facts: dict[str, Any]
    """As registry filed them: money in fen, counts in units."""
    ratios: dict[str, Any]
    """As registry derived them (decimal strings, null where a figure is missing)."""
    registry_version: int
    source: str | None
    filed_at: datetime


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    flag_id: str
    kind: str
    started_on: date
    ended_on: date | None
    last_change: str


class SizeClassRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    size_class: str | None
    basis_year: int | None
    rule_version: str
    decided_at: datetime


class EnterpriseFactsRead(BaseModel):
    """What certification knows of an enterprise from registry's events."""

    uscc: str
    years: list[YearRead]
    flags: list[FlagRead]
    size_class: SizeClassRead | None
