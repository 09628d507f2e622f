"""Events the enterprise module publishes (schemas: sme_common/contracts/events/registry/)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var
from sme_registry.enterprises.models import Enterprise

SOURCE = "/sme/registry"
ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = "registry.enterprise.registered.v1"
UPDATED_V1 = "registry.enterprise.updated.v1"
FACTS_FILED_V1 = "registry.enterprise.facts-filed.v1"
SIZE_CLASS_CHANGED_V1 = "registry.enterprise.size-class-changed.v1"
POOL_CHANGED_V1 = "registry.enterprise.pool-changed.v1"
FLAGS_CHANGED_V1 = "registry.enterprise.flags-changed.v1"


def enterprise_event(event_type: str, uscc: str, data: Mapping[str, Any]) -> CloudEvent:
    """An event about one enterprise: keyed by its USCC, carrying the request's trace."""
    return CloudEvent(
        type=event_type,
        source=SOURCE,
        subject=uscc,
        data=dict(data),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )


REGISTER_FIELDS = (
    "name",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
)


def _register_data(uscc: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The register fields as every enterprise event carries them (one place for API and import)."""
    data = {"uscc": uscc, **{field: values[field] for field in REGISTER_FIELDS}}
    founded_on = data["founded_on"]
    data["founded_on"] = founded_on.isoformat() if founded_on else None
    return data


def registered(uscc: str, values: Mapping[str, Any], *, version: int, at: datetime) -> CloudEvent:
    """``values``: the register fields, from an ``Enterprise`` row or an import row."""
    return enterprise_event(
        REGISTERED_V1,
        uscc,
        {**_register_data(uscc, values), "registered_at": at.isoformat(), "version": version},
    )


def updated(
    uscc: str,
    values: Mapping[str, Any],
    *,
    version: int,
    changed_fields: list[str],
    former_names: list[dict[str, Any]],
    at: datetime,
) -> CloudEvent:
    return enterprise_event(
        UPDATED_V1,
        uscc,
        {
            **_register_data(uscc, values),
            "version": version,
            "changed_fields": changed_fields,
            "former_names": former_names,
            "updated_at": at.isoformat(),
        },
    )


def _values(enterprise: Enterprise) -> dict[str, Any]:
    return {field: getattr(enterprise, field) for field in REGISTER_FIELDS}


def enterprise_registered(enterprise: Enterprise) -> CloudEvent:
    return registered(
        enterprise.uscc, _values(enterprise), version=enterprise.version, at=enterprise.created_at
    )


def enterprise_updated(enterprise: Enterprise, changed_fields: list[str]) -> CloudEvent:
    return updated(
        enterprise.uscc,
        _values(enterprise),
        version=enterprise.version,
        changed_fields=changed_fields,
        former_names=enterprise.former_names,
        at=enterprise.updated_at,
    )
