from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    certificate_id: str
    tier: str
    level: str
    certificate_number: str | None
    issued_on: date
    expires_on: date
    status: str
    ended_on: date | None
    end_reason: str | None


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    source_service: str
    kind: str
    occurred_at: datetime
    summary: dict[str, Any]
