"""What the audit query answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditActor(BaseModel):
    subject: str
    roles: list[str]
    client: str | None


class AuditRecordRead(BaseModel):
    position: int
    recorded_at: datetime
    actor: AuditActor
    request_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    before: Any
    after: Any
    detail: Any
    hash: str


class AuditRecordPage(BaseModel):
    items: list[AuditRecordRead]
    next_cursor: str | None
