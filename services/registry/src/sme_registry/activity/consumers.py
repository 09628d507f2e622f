"""What registry learns from the other services' events.

- certification: certificates granted, revoked, expired → the tier and the pools move (动态管理);
- funding: awards approved, paid, clawed back → support history;
- finance-matching: what banks report → financing history;
- complaints: cases accepted, resolved, overdue → complainant and respondent records.
All of it is shown on the enterprise's profile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sme_common import clock
from sme_common.db import UnitOfWork
from sme_common.events.consumer import ConsumerSpec, PermanentEventError
from sme_common.events.envelope import CloudEvent
from sme_registry.activity import repository, service


async def _record(uow: UnitOfWork, event: CloudEvent, source_service: str, kind: str) -> None:
    await repository.record_activity(
        uow.session,
        uscc=event.data.get("uscc") or event.subject,
        source_service=source_service,
        kind=kind,
        event_id=event.id,
        occurred_at=event.time,
        summary=event.data,
    )


async def certificate_granted(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await _record(uow, event, "certification", "certificate_granted")
    await service.certificate_granted(
        uow,
        uscc=data["uscc"],
        certificate_id=data["certificate_id"],
        tier=data["tier"],
        level=data["level"],
        number=data.get("certificate_number"),
        issued_on=date.fromisoformat(data["issued_on"]),
        expires_on=date.fromisoformat(data["expires_on"]),
        at=clock.now(),
    )


async def certificate_revoked(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await _record(uow, event, "certification", "certificate_revoked")
    await service.certificate_ended(
        uow,
        uscc=data["uscc"],
        certificate_id=data["certificate_id"],
        status="revoked",
        ended_on=date.fromisoformat(data["revoked_on"]),
        reason=data["reason"],
        at=clock.now(),
    )


async def certificate_expired(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    await _record(uow, event, "certification", "certificate_expired")
    await service.certificate_ended(
        uow,
        uscc=data["uscc"],
        certificate_id=data["certificate_id"],
        status="expired",
        ended_on=date.fromisoformat(data["expired_on"]),
        reason="expired",
        at=clock.now(),
    )


def recorder(source_service: str, kind: str) -> Callable[[UnitOfWork, CloudEvent], Awaitable[None]]:
    async def handle(uow: UnitOfWork, event: CloudEvent) -> None:
        if not await service.enterprise_exists(uow, event.data.get("uscc") or ""):
            raise PermanentEventError(f"{event.type} names an enterprise not in the register")
        await _record(uow, event, source_service, kind)

    return handle


certification_consumer = ConsumerSpec(
    name="registry.certification-titles",
    topics=["certification.certificate"],
    handlers={
        "certification.certificate.granted.v1": certificate_granted,
        "certification.certificate.revoked.v1": certificate_revoked,
        "certification.certificate.expired.v1": certificate_expired,
    },
)

history_consumer = ConsumerSpec(
    name="registry.enterprise-history",
    topics=[
        "funding.entitlement",
        "funding.payment",
        "funding.clawback",
        "finance-matching.loan",
        "complaints.case",
    ],
    handlers={
        "funding.entitlement.approved.v1": recorder("funding", "entitlement_approved"),
        "funding.payment.settled.v1": recorder("funding", "payment_settled"),
        "funding.clawback.raised.v1": recorder("funding", "clawback_raised"),
        "finance-matching.loan.reported.v1": recorder("finance-matching", "loan_reported"),
        "complaints.case.accepted.v1": recorder("complaints", "case_accepted"),
        "complaints.case.resolved.v1": recorder("complaints", "case_resolved"),
        "complaints.case.overdue.v1": recorder("complaints", "case_overdue"),
    },
)
