from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class SizeClassRead(BaseModel):
    """A size-class decision and why (工信部联企业〔2011〕300号)."""

    model_config = ConfigDict(from_attributes=True)

    uscc: str
    size_class: str | None
    basis_year: int | None
    rule_version: str
    explanation: dict[str, Any]
    decided_at: datetime
