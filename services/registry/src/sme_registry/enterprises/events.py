"""Events the enterprise module publishes, built only through their contracts
(``sme_common.contracts.events.registry.models``), for the API and the importer alike.

No table model is imported here: the importer's pure planner (``bulk/domain.py``) builds its events
with these same functions, and a domain module may not reach SQLAlchemy even indirectly.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Protocol

from sme_common.contracts.base import EventData
from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    EnterpriseUpdatedV1,
)
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/registry"
ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = EnterpriseRegisteredV1.event_type
UPDATED_V1 = EnterpriseUpdatedV1.event_type

REGISTER_FIELDS = (
    "name",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
)


def enterprise_event(payload: EventData) -> CloudEvent:
    """An event about one enterprise: its data from the contract, keyed by the USCC, carrying the
    request's trace."""
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )


def registered(
    uscc: str, values: Mapping[str, Any], *, version: int, at: datetime
) -> EnterpriseRegisteredV1:
    """``values``: the register fields (``REGISTER_FIELDS``), from a row or an import row."""
    return EnterpriseRegisteredV1(
        uscc=uscc,
        **{field: values[field] for field in REGISTER_FIELDS},
        registered_at=at,
        version=version,
    )


def updated(
    uscc: str,
    values: Mapping[str, Any],
    *,
    version: int,
    changed_fields: list[str],
    former_names: list[dict[str, Any]],
    at: datetime,
) -> EnterpriseUpdatedV1:
    return EnterpriseUpdatedV1(
        uscc=uscc,
        **{field: values[field] for field in REGISTER_FIELDS},
        version=version,
        # In name order, however the caller found them (the API and the importer alike).
        changed_fields=sorted(changed_fields),
        former_names=former_names,
        updated_at=at,
    )


class RegisterEntry(Protocol):
    """What the API hands over: an enterprise row (enterprises/models.py), read only."""

    @property
    def uscc(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def legal_representative(self) -> str | None: ...
    @property
    def region_code(self) -> str: ...
    @property
    def reporting_unit_code(self) -> str: ...
    @property
    def industry_code(self) -> str | None: ...
    @property
    def founded_on(self) -> date | None: ...
    @property
    def operating_status(self) -> str: ...
    @property
    def former_names(self) -> list[dict[str, Any]]: ...
    @property
    def version(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


def _values(enterprise: RegisterEntry) -> dict[str, Any]:
    return {field: getattr(enterprise, field) for field in REGISTER_FIELDS}


def enterprise_registered(enterprise: RegisterEntry) -> CloudEvent:
    return enterprise_event(
        registered(
            enterprise.uscc,
            _values(enterprise),
            version=enterprise.version,
            at=enterprise.created_at,
        )
    )


def enterprise_updated(enterprise: RegisterEntry, changed_fields: list[str]) -> CloudEvent:
    return enterprise_event(
        updated(
            enterprise.uscc,
            _values(enterprise),
            version=enterprise.version,
            changed_fields=changed_fields,
            former_names=enterprise.former_names,
            at=enterprise.updated_at,
        )
    )
