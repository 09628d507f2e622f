"""Every event contract, by event type: the one place a type's model is looked up."""

from __future__ import annotations

from sme_common.contracts.base import EventData
from sme_common.contracts.events.certification import models as certification
from sme_common.contracts.events.complaints import models as complaints
from sme_common.contracts.events.finance_matching import models as finance_matching
from sme_common.contracts.events.funding import models as funding
from sme_common.contracts.events.registry import models as registry
from sme_common.events.schemas import EventSchemaError

EVENT_MODELS: dict[str, type[EventData]] = {
    model.event_type: model
    for module in (registry, certification, funding, finance_matching, complaints)
    for model in module.MODELS
}


def model_for(event_type: str) -> type[EventData]:
    try:
        return EVENT_MODELS[event_type]
    except KeyError:
        raise EventSchemaError(event_type, "no contract is kept for this event type") from None


def models_of(producer: str) -> list[type[EventData]]:
    """The contracts a service owns (the type's first segment), in type order."""
    return sorted(
        (m for m in EVENT_MODELS.values() if m.producer() == producer), key=lambda m: m.event_type
    )
