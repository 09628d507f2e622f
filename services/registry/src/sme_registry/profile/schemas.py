"""The enterprise profile: one answer with everything the register knows of an enterprise."""

from __future__ import annotations

from pydantic import BaseModel

from sme_registry.activity.schemas import ActivityRead, CertificateRead
from sme_registry.enterprises.schemas import EnterpriseRead
from sme_registry.facts.schemas import FactsRead
from sme_registry.flags.schemas import FlagRead
from sme_registry.people.schemas import PersonRead
from sme_registry.pools.schemas import PoolPath
from sme_registry.sizing.schemas import SizeClassRead


class Profile(BaseModel):
    """Everything the platform knows of one enterprise, in one call."""

    enterprise: EnterpriseRead
    latest_facts: FactsRead | None
    size_class: SizeClassRead | None
    pools: PoolPath
    flags: list[FlagRead]
    certificates: list[CertificateRead]
    certification_history: list[ActivityRead]
    """Certificates granted, renewed, due for re-review, revoked, expired, as certification told."""
    service_people: list[PersonRead]
    support_history: list[ActivityRead]
    financing_history: list[ActivityRead]
    complaint_records: list[ActivityRead]
    demand_records: list[ActivityRead]
    """The enterprise's demands in the ledger (诉求工作台账): recorded, assigned, answered,
    reopened, closed, overdue, as complaints told."""
