"""The facts read model, kept from ``registry.enterprise`` events (consumer
``certification.enterprise-facts``; idempotent through the runner's inbox).

Each event is read with its contract; data a contract refuses is a poison message (dead-lettered as
``schema_invalid``).
"""

from __future__ import annotations

from sme_certification.facts import service
from sme_common.contracts.events.registry.models import (
    FactsFiledV1,
    FlagsChangedV1,
    SizeClassChangedV1,
)
from sme_common.db import UnitOfWork
from sme_common.directory.consumers import ENTERPRISE_TOPIC
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent


async def record_facts_filed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.facts_filed(uow, FactsFiledV1.parse(event.data))


async def record_flags_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.flags_changed(uow, FlagsChangedV1.parse(event.data))


async def record_size_class_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.size_class_changed(uow, SizeClassChangedV1.parse(event.data))


enterprise_facts_consumer = ConsumerSpec(
    name="certification.enterprise-facts",
    topics=[ENTERPRISE_TOPIC],
    handlers={
        FactsFiledV1.event_type: record_facts_filed,
        FlagsChangedV1.event_type: record_flags_changed,
        SizeClassChangedV1.event_type: record_size_class_changed,
    },
)
