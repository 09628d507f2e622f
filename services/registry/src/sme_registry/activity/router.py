from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal, Role
from sme_common.db import UnitOfWork
from sme_common.errors import problems
from sme_registry.activity.models import EnterpriseActivity, HeldCertificate
from sme_registry.activity.schemas import ActivityRead, CertificateRead, Profile
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.router import UsccPath, reader
from sme_registry.enterprises.schemas import EnterpriseRead
from sme_registry.enterprises.service import business_today, not_found
from sme_registry.facts.models import EnterpriseFacts
from sme_registry.facts.service import facts_read
from sme_registry.flags.models import CreditFlag
from sme_registry.flags.service import flag_read
from sme_registry.people.models import ServiceAssignment, ServicePerson
from sme_registry.people.schemas import PersonRead
from sme_registry.pools.models import PoolEntry
from sme_registry.pools.schemas import PoolEntryRead, PoolPath
from sme_registry.sizing.models import SizeClassRecord
from sme_registry.sizing.schemas import SizeClassRead

router = APIRouter(tags=["enterprise profile"])
# The complainant's identity is confidential (保障中小企业款项支付条例): only the province sees it.
SEES_COMPLAINANTS = (Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN)


@router.get(
    "/enterprises/{uscc}/profile",
    response_model=Profile,
    dependencies=[audit_read("enterprise_profile", reader)],
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def get_profile(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> Profile:
    """The enterprise with its facts, size class, pools, flags, titles, service people, support,
    financing and complaint records: the one call an agency system makes to see everything."""
    today = business_today()
    async with UnitOfWork(request.app.state.database) as uow:
        session = uow.session
        enterprise = await enterprises.get(session, uscc, principal.region_scope())
        if enterprise is None:
            raise not_found(uscc)
        facts = (
            (
                await session.execute(
                    select(EnterpriseFacts)
                    .where(EnterpriseFacts.uscc == uscc)
                    .order_by(EnterpriseFacts.year.desc())
                    .limit(2)
                )
            )
            .scalars()
            .all()
        )
        size = (
            await session.execute(
                select(SizeClassRecord)
                .where(SizeClassRecord.uscc == uscc)
                .order_by(SizeClassRecord.decided_at.desc(), SizeClassRecord.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        entries = (
            (
                await session.execute(
                    select(PoolEntry)
                    .where(PoolEntry.uscc == uscc)
                    .order_by(PoolEntry.entered_on, PoolEntry.recorded_at)
                )
            )
            .scalars()
            .all()
        )
        flags = (
            (
                await session.execute(
                    select(CreditFlag)
                    .where(CreditFlag.uscc == uscc)
                    .order_by(CreditFlag.started_on)
                )
            )
            .scalars()
            .all()
        )
        certificates = (
            (
                await session.execute(
                    select(HeldCertificate)
                    .where(HeldCertificate.uscc == uscc)
                    .order_by(HeldCertificate.issued_on)
                )
            )
            .scalars()
            .all()
        )
        people = (
            (
                await session.execute(
                    select(ServicePerson)
                    .join(ServiceAssignment, ServiceAssignment.person_id == ServicePerson.id)
                    .where(ServiceAssignment.uscc == uscc, ServiceAssignment.ended_on.is_(None))
                )
            )
            .scalars()
            .all()
        )
        activity = (
            (
                await session.execute(
                    select(EnterpriseActivity)
                    .where(EnterpriseActivity.uscc == uscc)
                    .order_by(EnterpriseActivity.occurred_at)
                )
            )
            .scalars()
            .all()
        )
        latest = facts[0] if facts else None
        previous = (
            facts[1] if len(facts) > 1 and latest and facts[1].year == latest.year - 1 else None
        )

        def of(service: str) -> list[ActivityRead]:
            return [ActivityRead.model_validate(a) for a in activity if a.source_service == service]

        complaints = [
            a
            for a in of("complaints")
            if a.summary.get("party_role") != "complainant"
            or principal.has_role(*SEES_COMPLAINANTS)
        ]
        return Profile(
            enterprise=EnterpriseRead.model_validate(enterprise),
            latest_facts=facts_read(latest, previous) if latest else None,
            size_class=SizeClassRead.model_validate(size) if size else None,
            pools=PoolPath(
                current=[e.pool for e in entries if e.left_on is None],
                path=[PoolEntryRead.model_validate(e) for e in entries],
            ),
            flags=[flag_read(f, today) for f in flags],
            certificates=[CertificateRead.model_validate(c) for c in certificates],
            service_people=[PersonRead.model_validate(p) for p in people],
            support_history=of("funding"),
            financing_history=of("finance-matching"),
            complaint_records=complaints,
        )
