from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from sme_registry.enterprises.schemas import EnterpriseRead
from sme_registry.facts.schemas import FactsRead
from sme_registry.flags.schemas import FlagRead
from sme_registry.people.schemas import PersonRead
from sme_registry.pools.schemas import PoolPath
from sme_registry.sizing.schemas import SizeClassRead


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


class Profile(BaseModel):
    """Everything the platform knows of one enterprise, in one call."""

    enterprise: EnterpriseRead
    latest_facts: FactsRead | None
    size_class: SizeClassRead | None
    pools: PoolPath
    flags: list[FlagRead]
    certificates: list[CertificateRead]
    service_people: list[PersonRead]
    support_history: list[ActivityRead]
    financing_history: list[ActivityRead]
    complaint_records: list[ActivityRead]
