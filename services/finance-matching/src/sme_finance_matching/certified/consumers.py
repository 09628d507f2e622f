"""The consumer ``finance-matching.certificates`` on ``certification.certificate``: granted,
renewed, revoked and expired certificates kept as the certified population the lists are made of
(idempotent through the runner's inbox, and on replay through the rules in ``domain``)."""

from __future__ import annotations

from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateRevokedV1,
)
from sme_common.db import UnitOfWork
from sme_common.events.consumer import ConsumerSpec
from sme_common.events.envelope import CloudEvent
from sme_finance_matching.certified import service

CERTIFICATE_TOPIC = "certification.certificate"


async def record_certificate_granted(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_granted(
        uow, CertificateGrantedV1.parse(event.data), event_id=event.id
    )


async def record_certificate_renewed(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_renewed(
        uow, CertificateRenewedV1.parse(event.data), event_id=event.id
    )


async def record_certificate_revoked(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_revoked(
        uow, CertificateRevokedV1.parse(event.data), event_id=event.id
    )


async def record_certificate_expired(uow: UnitOfWork, event: CloudEvent) -> None:
    await service.certificate_expired(
        uow, CertificateExpiredV1.parse(event.data), event_id=event.id
    )


certificates_consumer = ConsumerSpec(
    name="finance-matching.certificates",
    topics=[CERTIFICATE_TOPIC],
    handlers={
        CertificateGrantedV1.event_type: record_certificate_granted,
        CertificateRenewedV1.event_type: record_certificate_renewed,
        CertificateRevokedV1.event_type: record_certificate_revoked,
        CertificateExpiredV1.event_type: record_certificate_expired,
    },
)
