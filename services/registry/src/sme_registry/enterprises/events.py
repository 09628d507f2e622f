"""Events the enterprise module publishes (schemas: sme_common/contracts/events/registry/)."""

from __future__ import annotations

from collections.abc import Mapping
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


def enterprise_registered(enterprise: Enterprise) -> CloudEvent:
    return enterprise_event(
        REGISTERED_V1,
        enterprise.uscc,
        {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "legal_representative": enterprise.legal_representative,
            "region_code": enterprise.region_code,
            "reporting_unit_code": enterprise.reporting_unit_code,
            "industry_code": enterprise.industry_code,
            "founded_on": enterprise.founded_on.isoformat() if enterprise.founded_on else None,
            "operating_status": enterprise.operating_status,
            "registered_at": enterprise.created_at.isoformat(),
            "version": enterprise.version,
        },
    )


def enterprise_updated(enterprise: Enterprise, changed_fields: list[str]) -> CloudEvent:
    return enterprise_event(
        UPDATED_V1,
        enterprise.uscc,
        {
            "uscc": enterprise.uscc,
            "version": enterprise.version,
            "changed_fields": changed_fields,
            "name": enterprise.name,
            "former_names": enterprise.former_names,
            "legal_representative": enterprise.legal_representative,
            "region_code": enterprise.region_code,
            "reporting_unit_code": enterprise.reporting_unit_code,
            "industry_code": enterprise.industry_code,
            "founded_on": enterprise.founded_on.isoformat() if enterprise.founded_on else None,
            "operating_status": enterprise.operating_status,
            "updated_at": enterprise.updated_at.isoformat(),
        },
    )
