"""Events the enterprise module publishes (schemas: sme_common/contracts/events/registry/)."""

from __future__ import annotations

from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var
from sme_registry.enterprises.models import Enterprise

SOURCE = "/sme/registry"
ENTERPRISE_TOPIC = "registry.enterprise"
REGISTERED_V1 = "registry.enterprise.registered.v1"


def enterprise_registered(enterprise: Enterprise) -> CloudEvent:
    return CloudEvent(
        type=REGISTERED_V1,
        source=SOURCE,
        subject=enterprise.uscc,
        data={
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
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )
