"""What registry learns from the other services' events.

- certification: certificates granted, revoked, expired → the tier and the pools move (动态管理);
  renewed by re-review → the new last valid day; revoked for false declaration → a
  ``data_falsification`` credit flag for the 3-year ban (工信厅企业函〔2026〕117号); re-review due →
  the activity history;
- funding: awards created, approved, paid, clawed back and recovered → support history;
- finance-matching: what banks report → financing history;
- complaints: every case event complaints publishes (received, accepted, not accepted,
  transferred, returned, resolved, closed, deadline breached) → complainant and respondent records
  (complaints publishes one event per party whose USCC the register knows, keyed by it); the
  enterprise's demands (诉求工作台账) recorded, assigned, answered, reopened, closed, overdue →
  its demand records.
All of it is shown on the enterprise's profile.

Each event is read with its contract (``sme_common.contracts``); data a contract refuses is a poison
message (dead-lettered as ``schema_invalid``). The activity row keeps the data as it arrived,
fields this version does not know included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sme_common import clock
from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateReReviewDueV1,
    CertificateRevokedV1,
)
from sme_common.contracts.index import model_for
from sme_common.db import UnitOfWork
from sme_common.events.consumer import ConsumerSpec, PermanentEventError
from sme_common.events.envelope import CloudEvent
from sme_registry.activity import repository, service


async def _record(
    uow: UnitOfWork, event: CloudEvent, uscc: str, source_service: str, kind: str
) -> None:
    await repository.record_activity(
        uow.session,
        uscc=uscc,
        source_service=source_service,
        kind=kind,
        event_id=event.id,
        occurred_at=event.time,
        summary=event.data,
    )


async def certificate_granted(uow: UnitOfWork, event: CloudEvent) -> None:
    granted = CertificateGrantedV1.parse(event.data)
    number = granted.certificate_number
    await _record(uow, event, granted.uscc, "certification", "certificate_granted")
    await service.certificate_granted(
        uow,
        uscc=granted.uscc,
        certificate_id=granted.certificate_id,
        tier=granted.tier,
        level=granted.level,
        number=number if isinstance(number, str) else None,
        issued_on=granted.issued_on,
        expires_on=granted.expires_on,
        at=clock.now(),
    )


async def certificate_revoked(uow: UnitOfWork, event: CloudEvent) -> None:
    revoked = CertificateRevokedV1.parse(event.data)
    await _record(uow, event, revoked.uscc, "certification", "certificate_revoked")
    await service.certificate_ended(
        uow,
        uscc=revoked.uscc,
        certificate_id=revoked.certificate_id,
        status="revoked",
        ended_on=revoked.revoked_on,
        reason=revoked.reason,
        at=clock.now(),
    )
    if revoked.reason_code == "false_declaration":
        await service.false_declaration_ban(
            uow,
            uscc=revoked.uscc,
            certificate_id=revoked.certificate_id,
            revoked_on=revoked.revoked_on,
            banned_until=revoked.banned_until if isinstance(revoked.banned_until, date) else None,
            at=clock.now(),
        )


async def certificate_expired(uow: UnitOfWork, event: CloudEvent) -> None:
    expired = CertificateExpiredV1.parse(event.data)
    await _record(uow, event, expired.uscc, "certification", "certificate_expired")
    await service.certificate_ended(
        uow,
        uscc=expired.uscc,
        certificate_id=expired.certificate_id,
        status="expired",
        ended_on=expired.expired_on,
        reason="expired",
        at=clock.now(),
    )


async def certificate_renewed(uow: UnitOfWork, event: CloudEvent) -> None:
    renewed = CertificateRenewedV1.parse(event.data)
    await _record(uow, event, renewed.uscc, "certification", "certificate_renewed")
    await service.certificate_renewed(
        uow,
        uscc=renewed.uscc,
        certificate_id=renewed.certificate_id,
        expires_on=renewed.expires_on,
    )


async def certificate_re_review_due(uow: UnitOfWork, event: CloudEvent) -> None:
    """The expiry alert: shown in the enterprise's history; nothing else moves (the title stays
    valid while the re-review is pending)."""
    due = CertificateReReviewDueV1.parse(event.data)
    if not await service.enterprise_exists(uow, due.uscc):
        raise PermanentEventError(f"{event.type} names an enterprise not in the register")
    await _record(uow, event, due.uscc, "certification", "certificate_re_review_due")


def recorder(source_service: str, kind: str) -> Callable[[UnitOfWork, CloudEvent], Awaitable[None]]:
    async def handle(uow: UnitOfWork, event: CloudEvent) -> None:
        # Every history event is keyed by the enterprise it concerns (``x-key``: the USCC).
        uscc = model_for(event.type).parse(event.data).key
        if not await service.enterprise_exists(uow, uscc):
            raise PermanentEventError(f"{event.type} names an enterprise not in the register")
        await _record(uow, event, uscc, source_service, kind)

    return handle


certification_consumer = ConsumerSpec(
    name="registry.certification-titles",
    topics=["certification.certificate"],
    handlers={
        "certification.certificate.granted.v1": certificate_granted,
        "certification.certificate.revoked.v1": certificate_revoked,
        "certification.certificate.expired.v1": certificate_expired,
        "certification.certificate.renewed.v1": certificate_renewed,
        "certification.certificate.re-review-due.v1": certificate_re_review_due,
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
        "complaints.demand",
    ],
    handlers={
        "funding.entitlement.created.v1": recorder("funding", "entitlement_created"),
        "funding.entitlement.approved.v1": recorder("funding", "entitlement_approved"),
        "funding.payment.settled.v1": recorder("funding", "payment_settled"),
        # A paid award is already on the profile as its settled payment; a failed one is not.
        "funding.entitlement.failed.v1": recorder("funding", "entitlement_failed"),
        "funding.clawback.raised.v1": recorder("funding", "clawback_raised"),
        "funding.clawback.recovered.v1": recorder("funding", "clawback_recovered"),
        "finance-matching.loan.reported.v1": recorder("finance-matching", "loan_reported"),
        "complaints.case.received.v1": recorder("complaints", "case_received"),
        "complaints.case.accepted.v1": recorder("complaints", "case_accepted"),
        "complaints.case.not-accepted.v1": recorder("complaints", "case_not_accepted"),
        "complaints.case.transferred.v1": recorder("complaints", "case_transferred"),
        "complaints.case.returned.v1": recorder("complaints", "case_returned"),
        "complaints.case.resolved.v1": recorder("complaints", "case_resolved"),
        "complaints.case.closed.v1": recorder("complaints", "case_closed"),
        "complaints.case.overdue.v1": recorder("complaints", "case_overdue"),
        # The enterprise's own demands (诉求工作台账): what it asked and how the loop closed.
        "complaints.demand.recorded.v1": recorder("complaints", "demand_recorded"),
        "complaints.demand.assigned.v1": recorder("complaints", "demand_assigned"),
        "complaints.demand.answered.v1": recorder("complaints", "demand_answered"),
        "complaints.demand.reopened.v1": recorder("complaints", "demand_reopened"),
        "complaints.demand.closed.v1": recorder("complaints", "demand_closed"),
        "complaints.demand.overdue.v1": recorder("complaints", "demand_overdue"),
    },
)
