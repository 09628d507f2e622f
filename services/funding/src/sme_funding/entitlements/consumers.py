"""Consumers of the entitlements module (idempotent through the runner's inbox; each event read
with its contract, data a contract refuses dead-lettered as ``schema_invalid``):

- ``funding.certificates`` on ``certification.certificate``: granted and renewed certificates are
  recorded and evaluated against the policy book (免申即享); revoked and expired ones recorded, a
  revocation for false declaration clawing back the awards it caused.
- ``funding.enterprise-credit`` on ``registry.enterprise``: the credit flags in force (blocking
  and releasing entitlements), and an enterprise's registration or move, which evaluates the
  certificate triggers that were awaiting it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateRevokedV1,
)
from sme_common.contracts.events.registry.models import (
    EnterpriseRegisteredV1,
    EnterpriseUpdatedV1,
    FlagsChangedV1,
)
from sme_common.db import UnitOfWork
from sme_common.directory.consumers import ENTERPRISE_TOPIC
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent
from sme_funding.clawback import service as clawback
from sme_funding.entitlements import service

CERTIFICATE_TOPIC = "certification.certificate"


async def record_certificate_granted(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_granted(uow, CertificateGrantedV1.parse(event.data))


async def record_certificate_renewed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_renewed(uow, CertificateRenewedV1.parse(event.data))


async def record_certificate_revoked(uow: UnitOfWork, event: CloudEvent) -> None:
    """Recorded, then clawed back (追回) in the same unit of work when the ground is a false
    declaration (``sme_funding.clawback``)."""
    revoked = CertificateRevokedV1.parse(event.data)
    await service.certificate_revoked(uow, revoked)
    await clawback.certificate_revoked(uow, revoked)


async def record_certificate_expired(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_expired(uow, CertificateExpiredV1.parse(event.data))


async def record_flags_changed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.flags_changed(uow, FlagsChangedV1.parse(event.data))


async def record_enterprise_registered(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.enterprise_placed(uow, EnterpriseRegisteredV1.parse(event.data))


async def record_enterprise_updated(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.enterprise_placed(uow, EnterpriseUpdatedV1.parse(event.data))


async def record_certificates(uow: UnitOfWork, batch: Sequence[CloudEvent]) -> None:
    """The batch handler of ``funding.certificates``: the grants of certificates and enterprises
    that appear once in the batch are applied together (``service.certificates_granted``: a few
    statements for the whole batch); every other event goes through its own handler, in order.
    The two sets share no certificate and no enterprise, so the state is the one the handlers
    leave applied one by one."""
    enterprises = Counter(event.data.get("uscc") for event in batch)
    certificates = Counter(event.data.get("certificate_id") for event in batch)
    alone: list[CertificateGrantedV1] = []
    rest: list[CloudEvent] = []
    for event in batch:
        if (
            event.type == CertificateGrantedV1.event_type
            and enterprises[event.data.get("uscc")] == 1
            and certificates[event.data.get("certificate_id")] == 1
        ):
            alone.append(CertificateGrantedV1.parse(event.data))
        else:
            rest.append(event)
    await service.certificates_granted(uow, alone)
    for event in rest:
        await certificates_consumer.handlers[event.type](uow, event)


certificates_consumer = ConsumerSpec(
    name="funding.certificates",
    topics=[CERTIFICATE_TOPIC],
    handlers={
        CertificateGrantedV1.event_type: record_certificate_granted,
        CertificateRenewedV1.event_type: record_certificate_renewed,
        CertificateRevokedV1.event_type: record_certificate_revoked,
        CertificateExpiredV1.event_type: record_certificate_expired,
    },
    batch_handler=record_certificates,
)

enterprise_credit_consumer = ConsumerSpec(
    name="funding.enterprise-credit",
    topics=[ENTERPRISE_TOPIC],
    handlers={
        FlagsChangedV1.event_type: record_flags_changed,
        EnterpriseRegisteredV1.event_type: record_enterprise_registered,
        EnterpriseUpdatedV1.event_type: record_enterprise_updated,
    },
)
