"""Assembling the profile (one read transaction, so its parts agree with each other)."""

from __future__ import annotations

from sme_common import clock
from sme_common.auth import Principal, Role
from sme_common.db import Database
from sme_common.problems import enterprise_in_scope
from sme_registry.activity import repository as activity_records
from sme_registry.activity.schemas import ActivityRead, CertificateRead
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.schemas import EnterpriseRead
from sme_registry.facts import repository as facts_records
from sme_registry.facts.service import facts_read
from sme_registry.flags import repository as flag_records
from sme_registry.flags.service import flag_read
from sme_registry.people import repository as people_records
from sme_registry.people.schemas import PersonRead
from sme_registry.pools import repository as pool_records
from sme_registry.pools.service import pool_path_of
from sme_registry.profile.domain import may_see_complaint
from sme_registry.profile.schemas import Profile
from sme_registry.sizing import repository as size_records
from sme_registry.sizing.schemas import SizeClassRead

# Who sees complainants in a profile (``domain.may_see_complaint``): the province.
SEES_COMPLAINANTS = (Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN)


async def profile(database: Database, uscc: str, principal: Principal) -> Profile:
    today = clock.business_today()
    async with database.sessionmaker() as session, session.begin():
        enterprise = await enterprise_in_scope(enterprises.get, session, uscc, principal)
        facts = await facts_records.latest(session, uscc, years=2)
        size = await size_records.latest_decision(session, uscc)
        entries = await pool_records.path(session, uscc)
        flags = await flag_records.of_enterprise(session, uscc)
        certificates = await activity_records.certificates(session, uscc)
        people = await people_records.serving(session, uscc)
        activity = await activity_records.activity(session, uscc)
        latest = facts[0] if facts else None
        previous = (
            facts[1] if len(facts) > 1 and latest and facts[1].year == latest.year - 1 else None
        )

        sees_complainants = principal.has_role(*SEES_COMPLAINANTS)

        def of(service: str) -> list[ActivityRead]:
            return [ActivityRead.model_validate(a) for a in activity if a.source_service == service]

        return Profile(
            enterprise=EnterpriseRead.model_validate(enterprise),
            latest_facts=facts_read(latest, previous) if latest else None,
            size_class=SizeClassRead.model_validate(size) if size else None,
            pools=pool_path_of(entries),
            flags=[flag_read(f, today) for f in flags],
            certificates=[CertificateRead.model_validate(c) for c in certificates],
            certification_history=of("certification"),
            service_people=[PersonRead.model_validate(p) for p in people],
            support_history=of("funding"),
            financing_history=of("finance-matching"),
            complaint_records=[
                record
                for record in of("complaints")
                if not record.kind.startswith("demand_")
                and may_see_complaint(record.summary, sees_complainants=sees_complainants)
            ],
            demand_records=[r for r in of("complaints") if r.kind.startswith("demand_")],
        )
