"""The event the sizing module publishes, built only through its contract (the API's reclassify and
the importer call the same builder)."""

from __future__ import annotations

from datetime import datetime

from sme_common.contracts.events.registry.models import SizeClassChangedV1
from sme_registry.sizing.domain import SizeDecision

SIZE_CLASS_CHANGED_V1 = SizeClassChangedV1.event_type


def size_class_changed(
    uscc: str,
    *,
    decision: SizeDecision,
    previous_size_class: str | None,
    basis_year: int | None,
    rule_version: str,
    at: datetime,
) -> SizeClassChangedV1:
    return SizeClassChangedV1.model_validate(
        {
            "uscc": uscc,
            "size_class": decision.size_class.value if decision.size_class else None,
            "previous_size_class": previous_size_class,
            "basis_year": basis_year,
            "rule_version": rule_version,
            "explanation": decision.explanation,
            "decided_at": at,
        }
    )
