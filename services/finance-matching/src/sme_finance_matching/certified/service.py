"""The certified population (认定企业名单) as finance-matching knows it from certification's
events, and its change log (the list deltas' source). Called by the consumer only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sme_common import clock
from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateRevokedV1,
)
from sme_common.db import UnitOfWork
from sme_finance_matching.certified import domain, repository
from sme_finance_matching.certified.domain import Change, Held, Status
from sme_finance_matching.certified.models import CertifiedChange, CertifiedEnterprise


def _held(row: CertifiedEnterprise | None) -> Held | None:
    if row is None:
        return None
    return Held(
        certificate_id=row.certificate_id,
        tier=row.tier,
        level=row.level,
        issued_on=row.issued_on,
        expires_on=row.expires_on,
        status=Status(row.status),
    )


async def _apply(
    uow: UnitOfWork,
    uscc: str,
    decide: Callable[[Held | None], Change | None],
    *,
    event_id: str | None = None,
) -> int | None:
    """Lock the change log, decide on the current state, record the change; its position."""
    session = uow.session
    await repository.lock_for_change(session)
    row = await repository.get(session, uscc, for_update=True)
    change = decide(_held(row))
    if change is None:
        return None
    seq = await repository.next_position(session)
    now = clock.now()
    state = change.state
    values = {
        "certificate_id": state.certificate_id,
        "tier": state.tier,
        "level": state.level,
        "issued_on": state.issued_on,
        "expires_on": state.expires_on,
        "status": state.status.value,
        "changed_at": now,
        "change_seq": seq,
    }
    if row is None:
        session.add(CertifiedEnterprise(uscc=uscc, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    session.add(
        CertifiedChange(
            seq=seq,
            uscc=uscc,
            kind=change.kind.value,
            certificate_id=state.certificate_id,
            tier=state.tier,
            previous_tier=change.previous_tier,
            level=state.level,
            issued_on=state.issued_on,
            expires_on=state.expires_on,
            status=state.status.value,
            event_id=event_id,
            changed_at=now,
        )
    )
    await uow.flush()
    return seq


async def certificate_granted(
    uow: UnitOfWork, data: CertificateGrantedV1, *, event_id: str | None = None
) -> int | None:
    new = Held(
        certificate_id=data.certificate_id,
        tier=data.tier,
        level=data.level,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
        status=Status.VALID,
    )
    return await _apply(uow, data.uscc, lambda held: domain.granted(held, new), event_id=event_id)


async def certificate_renewed(
    uow: UnitOfWork, data: CertificateRenewedV1, *, event_id: str | None = None
) -> int | None:
    expires_on: date = data.expires_on
    return await _apply(
        uow,
        data.uscc,
        lambda held: domain.renewed(held, data.certificate_id, expires_on),
        event_id=event_id,
    )


async def certificate_revoked(
    uow: UnitOfWork, data: CertificateRevokedV1, *, event_id: str | None = None
) -> int | None:
    return await _apply(
        uow,
        data.uscc,
        lambda held: domain.ended(held, data.certificate_id, Status.REVOKED),
        event_id=event_id,
    )


async def certificate_expired(
    uow: UnitOfWork, data: CertificateExpiredV1, *, event_id: str | None = None
) -> int | None:
    return await _apply(
        uow,
        data.uscc,
        lambda held: domain.ended(held, data.certificate_id, Status.EXPIRED),
        event_id=event_id,
    )
