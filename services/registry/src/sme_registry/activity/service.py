"""Titles from certification moving the tier and the pools."""

from __future__ import annotations

from datetime import date, datetime

from sme_common.db import UnitOfWork
from sme_common.events.consumer import PermanentEventError
from sme_registry.activity import repository
from sme_registry.activity.models import HeldCertificate
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.models import Enterprise
from sme_registry.flags import service as flags
from sme_registry.pools import service as pools
from sme_registry.pools.domain import TIER_POOLS, highest_tier

ACTOR = "event:certification"


async def enterprise_exists(uow: UnitOfWork, uscc: str) -> bool:
    return await enterprises.by_uscc(uow.session, uscc) is not None


async def _locked_enterprise(uow: UnitOfWork, uscc: str) -> Enterprise:
    enterprise = await enterprises.by_uscc(uow.session, uscc, for_update=True)
    if enterprise is None:
        raise PermanentEventError(f"certificate for {uscc}, which is not in the register")
    return enterprise


async def certificate_granted(
    uow: UnitOfWork,
    *,
    uscc: str,
    certificate_id: str,
    tier: str,
    level: str,
    number: str | None,
    issued_on: date,
    expires_on: date,
    at: datetime,
) -> None:
    enterprise = await _locked_enterprise(uow, uscc)
    if await repository.certificate(uow.session, certificate_id) is None:
        uow.session.add(
            HeldCertificate(
                certificate_id=certificate_id,
                uscc=uscc,
                tier=tier,
                level=level,
                certificate_number=number,
                issued_on=issued_on,
                expires_on=expires_on,
                status="valid",
            )
        )
        await uow.flush()
    await _settle_tier(
        uow,
        enterprise,
        on=issued_on,
        reason=f"{tier} certificate granted",
        source_ref=number or certificate_id,
        at=at,
    )


async def certificate_ended(
    uow: UnitOfWork,
    *,
    uscc: str,
    certificate_id: str,
    status: str,
    ended_on: date,
    reason: str,
    at: datetime,
) -> None:
    enterprise = await _locked_enterprise(uow, uscc)
    certificate = await repository.certificate(uow.session, certificate_id, for_update=True)
    if certificate is None:
        raise PermanentEventError(f"{status} certificate {certificate_id} was never granted here")
    certificate.status, certificate.ended_on, certificate.end_reason = status, ended_on, reason
    await _settle_tier(
        uow,
        enterprise,
        on=ended_on,
        reason=f"{certificate.tier} certificate {status}: {reason}",
        source_ref=certificate.certificate_number or certificate_id,
        at=at,
    )


async def certificate_renewed(
    uow: UnitOfWork, *, uscc: str, certificate_id: str, expires_on: date
) -> None:
    """A passed re-review (复核) keeps the same certificate valid to a new last day. The later of
    the two days is kept, so a late redelivery of an older renewal cannot shorten it. The tier and
    pools do not move: the title was in force throughout (policy-facts §1.6)."""
    await _locked_enterprise(uow, uscc)
    certificate = await repository.certificate(uow.session, certificate_id, for_update=True)
    if certificate is None or certificate.uscc != uscc:
        raise PermanentEventError(f"renewed certificate {certificate_id} was never granted here")
    if expires_on > certificate.expires_on:
        certificate.expires_on = expires_on


async def false_declaration_ban(
    uow: UnitOfWork,
    *,
    uscc: str,
    certificate_id: str,
    revoked_on: date,
    banned_until: date | None,
    at: datetime,
) -> None:
    """The 3-year ban that follows a title withdrawn for false declaration, as a credit flag."""
    await flags.record_certification_ban(
        uow,
        uscc=uscc,
        certificate_id=certificate_id,
        revoked_on=revoked_on,
        banned_until=banned_until,
        actor=ACTOR,
        at=at,
    )


async def _settle_tier(
    uow: UnitOfWork,
    enterprise: Enterprise,
    *,
    on: date,
    reason: str,
    source_ref: str,
    at: datetime,
) -> None:
    """Set the tier to the highest valid title; enter its pool, leave the other tier pools."""
    highest = highest_tier(list(await repository.valid_tiers(uow.session, enterprise.uscc)))
    wanted = TIER_POOLS[highest] if highest else None
    for pool in TIER_POOLS.values():
        if pool != wanted:
            await pools.leave_pool(
                uow, uscc=enterprise.uscc, pool=pool, on=on, reason=reason, actor=ACTOR, at=at
            )
    if wanted is not None:
        await pools.enter_pool(
            uow,
            uscc=enterprise.uscc,
            pool=wanted,
            on=on,
            reason=reason,
            source="certification",
            source_ref=source_ref,
            actor=ACTOR,
            at=at,
        )
    new_tier = highest.value if highest is not None else None
    if enterprise.tier != new_tier:
        enterprise.tier = new_tier
        enterprises.record_new_version(uow.session, enterprise, "tier_changed", ACTOR, at)
