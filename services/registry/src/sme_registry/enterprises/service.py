"""Use cases on enterprises. Each owns its transaction; routes and consumers call these."""

from __future__ import annotations

import json
from datetime import date
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.ids import USCC_SHAPE
from sme_common.pagination import KeyCursor, PositionCursor, split_page
from sme_common.problems import ENTERPRISE, ensure_in_region, enterprise_in_scope, version_conflict
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_registry.enterprises import domain, repository
from sme_registry.enterprises.events import (
    ENTERPRISE_TOPIC,
    enterprise_registered,
    enterprise_updated,
)
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.schemas import (
    ChangeEntry,
    ChangeFeedQuery,
    ChangePage,
    EnterpriseCreate,
    EnterpriseFilters,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseSearch,
    EnterpriseUpdate,
    RevisionPage,
    RevisionRead,
)
from sme_registry.sizing.service import reclassify

EDITABLE = (
    "name",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
)
F = TypeVar("F", bound=EnterpriseFilters)
SEARCH_CURSOR = KeyCursor(USCC_SHAPE)
"""Search pages: the cursor holds the last USCC sent."""
FEED_CURSOR = PositionCursor()
"""Change-feed pages: the cursor holds the last feed position sent."""


async def register_enterprise(
    database: Database,
    *,
    command: EnterpriseCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """Enter a new enterprise in the register and announce it (registry.enterprise.registered.v1)."""
    now = clock.now()
    identity = domain.identify(
        uscc=command.uscc,
        region_code=command.region_code,
        reporting_unit_code=command.reporting_unit_code,
        industry_code=command.industry_code,
        founded_on=command.founded_on,
        today=clock.business_day(now),
        regions=RegionCatalog.load(),
        industries=IndustryCatalog.load(),
    )
    ensure_in_region(actor, identity.region_code, identity.reporting_unit.code)

    exists = Conflict(
        "enterprise_exists",
        f"Enterprise {identity.uscc} is already registered",
        f"企业 {identity.uscc} 已登记",
        field="uscc",
    )

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        if await repository.exists_uscc(uow.session, identity.uscc):
            raise exists
        enterprise = Enterprise(
            uscc=identity.uscc,
            name=command.name,
            former_names=[],
            legal_representative=command.legal_representative,
            region_code=identity.region_code,
            reporting_unit_code=identity.reporting_unit.code,
            industry_code=identity.industry_code,
            founded_on=command.founded_on,
            operating_status=command.operating_status.value,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=actor.subject,
            updated_by=actor.subject,
        )
        uow.session.add(enterprise)
        try:
            await uow.flush()
        except IntegrityError as exc:
            # Two registrations of one USCC at once: both passed the check above, the primary key
            # lets one in; the other is the same conflict, not a server error.
            if repository.is_duplicate_enterprise(exc):
                raise exists from exc
            raise
        repository.record_revision(uow.session, enterprise, "registered", actor.subject, now)
        uow.publish(ENTERPRISE_TOPIC, enterprise_registered(enterprise))
        return 201, repository.snapshot(enterprise)

    return await run_once(database, idempotency, operation)


async def update_enterprise(
    database: Database, *, uscc: str, command: EnterpriseUpdate, actor: Principal
) -> EnterpriseRead:
    """Change register data under optimistic locking; an unchanged update changes nothing."""
    now = clock.now()
    today = clock.business_day(now)
    async with UnitOfWork(database) as uow:
        enterprise = await enterprise_in_scope(repository.get_for_update, uow.session, uscc, actor)
        if enterprise.version != command.version:
            raise version_conflict(
                ENTERPRISE, uscc, current=enterprise.version, sent=command.version
            )
        wanted = {k: getattr(command, k) for k in command.model_fields_set if k in EDITABLE}
        changes = domain.changed_fields(
            {k: getattr(enterprise, k) for k in EDITABLE},
            wanted,
            regions=RegionCatalog.load(),
            industries=IndustryCatalog.load(),
            today=today,
        )
        if not changes:
            return EnterpriseRead.model_validate(enterprise)
        ensure_in_region(
            actor,
            changes.get("region_code", enterprise.region_code),
            changes.get("reporting_unit_code", enterprise.reporting_unit_code),
        )
        if "name" in changes:
            enterprise.former_names = [
                *enterprise.former_names,
                {"name": enterprise.name, "until": today.isoformat()},
            ]
        for field, value in changes.items():
            setattr(enterprise, field, value)
        repository.record_new_version(uow.session, enterprise, "updated", actor.subject, now)
        uow.publish(ENTERPRISE_TOPIC, enterprise_updated(enterprise, sorted(changes)))
        if "industry_code" in changes:
            await reclassify(uow, enterprise, actor=actor.subject, at=now)
        await uow.commit()
        return EnterpriseRead.model_validate(enterprise)


async def get_enterprise(
    database: Database, *, uscc: str, actor: Principal, as_of: date | None = None
) -> EnterpriseRead:
    if as_of is None:
        # The hot path (agency systems look enterprises up one by one): one statement, one trip.
        async with database.reading() as reader:
            row = await enterprise_in_scope(repository.current_row, reader, uscc, actor)
        return EnterpriseRead.model_validate(dict(row))
    clock.check_not_future(as_of, "as_of")
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(repository.get, uow.session, uscc, actor)
        revision = await repository.revision_as_of(
            uow.session, uscc, clock.end_of_business_day(as_of)
        )
        if revision is None:
            raise NotFound(
                "enterprise_not_registered_then",
                f"Enterprise {uscc} was not yet registered on {as_of}",
                f"企业 {uscc} 在 {as_of} 尚未登记",
                field="as_of",
            )
        return EnterpriseRead.model_validate(revision.snapshot)


async def enterprise_history(database: Database, *, uscc: str, actor: Principal) -> RevisionPage:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(repository.get, uow.session, uscc, actor)
        revisions = await repository.revisions(uow.session, uscc)
        return RevisionPage(items=[RevisionRead.model_validate(r) for r in revisions])


async def search_enterprises(
    database: Database, *, actor: Principal, search: EnterpriseSearch
) -> EnterprisePage:
    filters = searchable(search)
    after = SEARCH_CURSOR.after(search.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.search(
            uow.session,
            actor.region_scope(),
            filters,
            limit=search.limit,
            after=after,
            today=clock.business_today(),
        )
        page, last = split_page(rows, search.limit)
        return EnterprisePage(
            items=[EnterpriseRead.model_validate(r) for r in page],
            next_cursor=SEARCH_CURSOR.encode(last.uscc) if last is not None else None,
        )


def searchable(filters: F) -> F:
    """The filters with the name fragment as names are compared (``domain.search_text``)."""
    return filters.model_copy(update={"q": domain.search_text(filters.q)})


CHANGE_TYPES = {
    "registry.enterprise.registered.v1": "registered",
    "registry.enterprise.updated.v1": "updated",
    "registry.enterprise.facts-filed.v1": "facts_filed",
    "registry.enterprise.size-class-changed.v1": "size_class_changed",
    "registry.enterprise.pool-changed.v1": "pool_changed",
    "registry.enterprise.flags-changed.v1": "flags_changed",
}


async def changes(database: Database, *, actor: Principal, query: ChangeFeedQuery) -> ChangePage:
    """Typed changes in commit order, resumable from any cursor the caller kept."""
    position = FEED_CURSOR.after(query.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.changes(
            uow.session,
            actor.region_scope(),
            after_position=position,
            limit=query.limit,
            since=query.updated_since,
            event_types=list(CHANGE_TYPES),
        )
    items = [
        ChangeEntry(
            position=row.feed_position,
            type=CHANGE_TYPES[row.event_type],
            uscc=row.key,
            occurred_at=row.created_at,
            event_id=row.event_id,
            data=json.loads(row.payload),
            region_code_before=row.region_code_before,
            reporting_unit_code_before=row.reporting_unit_code_before,
            region_code_after=row.region_code_after,
            reporting_unit_code_after=row.reporting_unit_code_after,
        )
        for row in rows
    ]
    last = items[-1].position if items else position
    return ChangePage(items=items, next_cursor=FEED_CURSOR.encode(last))
