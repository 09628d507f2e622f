"""Service commissioners and financial advisers, their enterprises, and the coverage report."""

from __future__ import annotations

import secrets
from collections import defaultdict
from typing import Literal

from sqlalchemy.exc import IntegrityError

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, RegionScope
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.problems import Resource, ensure_in_region, enterprise_in_scope, not_found
from sme_common.reference.regions import RegionCatalog
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.people import repository
from sme_registry.people.events import service_people_changed
from sme_registry.people.models import ServiceAssignment, ServicePerson
from sme_registry.people.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    CommissionerGapReport,
    CountyGap,
    EnterprisePeople,
    PersonCreate,
    PersonPage,
    PersonRead,
    UncoveredEnterprise,
)

PERSON = Resource("person", "service person {key}", "服务人员 {key}")
ASSIGNMENT = Resource("assignment", "assignment {key}", "服务关系 {key}")
# Ending an assignment is authorised by the person's region; the enterprise is locked wherever it is.
_EVERYWHERE = RegionScope(RegionLevel.ALL)


async def create_person(
    database: Database,
    *,
    command: PersonCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """Appoint a person; with an ``Idempotency-Key`` a retry replays the first answer."""
    regions = RegionCatalog.load()
    unit = regions.reporting_unit_for(command.region_code)
    if unit is None or not regions.is_valid(command.region_code):
        raise InvalidInput(
            "region_unknown",
            f"{command.region_code} is not a region we serve",
            f"行政区划代码 {command.region_code} 无效",
            field="region_code",
        )
    ensure_in_region(actor, command.region_code, unit.code)

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        person = ServicePerson(
            id=f"person_{secrets.token_hex(8)}",
            name=command.name,
            role=command.role,
            region_code=command.region_code,
            reporting_unit_code=unit.code,
            organisation=command.organisation,
            phone=command.phone,
            active=True,
            created_at=clock.now(),
            created_by=actor.subject,
        )
        uow.session.add(person)
        await uow.flush()
        return 201, PersonRead.model_validate(person).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def list_people(database: Database, *, actor: Principal, role: str | None) -> PersonPage:
    async with UnitOfWork(database) as uow:
        rows = await repository.people(uow.session, actor.region_scope(), role=role)
        return PersonPage(items=[PersonRead.model_validate(r) for r in rows])


async def _person(uow: UnitOfWork, person_id: str, actor: Principal) -> ServicePerson:
    person = await repository.person(uow.session, person_id, actor.region_scope())
    if person is None:
        raise not_found(PERSON, person_id, field="person_id")
    return person


async def _announce_people(
    uow: UnitOfWork, assignment: ServiceAssignment, change: Literal["assigned", "ended"]
) -> None:
    """Tell the consuming services who serves the enterprise now (the whole list, so the latest
    event is the whole answer). The caller holds the enterprise's row lock: changes of one
    enterprise's people serialise there, so each event's list and ``changed_at`` follow the
    order of the commits."""
    await uow.flush()
    serving = await repository.serving_since(uow.session, assignment.uscc)
    uow.publish(
        ENTERPRISE_TOPIC,
        enterprise_event(
            service_people_changed(
                assignment.uscc,
                change=change,
                assignment_id=assignment.id,
                serving=serving,
                at=clock.now(),
            )
        ),
    )


async def assign(
    database: Database, *, person_id: str, command: AssignmentCreate, actor: Principal
) -> AssignmentRead:
    async with UnitOfWork(database) as uow:
        await _person(uow, person_id, actor)
        await enterprise_in_scope(enterprises.get_for_update, uow.session, command.uscc, actor)
        already = Conflict(
            "already_assigned",
            "This person already serves this enterprise",
            "该服务人员已负责该企业",
            field="uscc",
        )
        if await repository.serves(uow.session, person_id, command.uscc):
            raise already
        assignment = ServiceAssignment(
            id=f"assign_{secrets.token_hex(8)}",
            person_id=person_id,
            uscc=command.uscc,
            assigned_on=command.assigned_on,
            recorded_at=clock.now(),
            recorded_by=actor.subject,
        )
        uow.session.add(assignment)
        try:
            await uow.flush()
        except IntegrityError as exc:
            # Two assignments of one person to one enterprise at once: the open-assignment index
            # lets one in, the other is the same conflict as above.
            if repository.is_duplicate_open_assignment(exc):
                raise already from exc
            raise
        await _announce_people(uow, assignment, "assigned")
        await uow.commit()
        return AssignmentRead.model_validate(assignment)


async def end_assignment(
    database: Database,
    *,
    person_id: str,
    assignment_id: str,
    command: AssignmentEnd,
    actor: Principal,
) -> AssignmentRead:
    async with UnitOfWork(database) as uow:
        await _person(uow, person_id, actor)
        assignment = await repository.assignment(uow.session, assignment_id, for_update=True)
        if assignment is None or assignment.person_id != person_id:
            raise not_found(ASSIGNMENT, assignment_id, field="assignment_id")
        if assignment.ended_on is not None:
            raise Conflict(
                "assignment_ended", "The assignment has already ended", "该服务关系已结束"
            )
        if command.ended_on < assignment.assigned_on:
            raise InvalidInput(
                "ended_before_assigned",
                "cannot end before it began",
                "结束日期不能早于开始日期",
                field="ended_on",
            )
        # The enterprise's row lock, as every change of its people takes (``_announce_people``).
        await enterprises.get_for_update(uow.session, assignment.uscc, _EVERYWHERE)
        assignment.ended_on = command.ended_on
        assignment.ended_at, assignment.ended_by = clock.now(), actor.subject
        await _announce_people(uow, assignment, "ended")
        await uow.commit()
        return AssignmentRead.model_validate(assignment)


async def enterprise_people(database: Database, *, uscc: str, actor: Principal) -> EnterprisePeople:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        rows = await repository.serving(uow.session, uscc)
        return EnterprisePeople(items=[PersonRead.model_validate(r) for r in rows])


async def commissioner_gaps(database: Database, *, actor: Principal) -> CommissionerGapReport:
    """小巨人 enterprises in your region with no active service commissioner, by county."""
    async with UnitOfWork(database) as uow:
        rows = await repository.little_giants_without_commissioner(
            uow.session, actor.region_scope()
        )
    regions = RegionCatalog.load()
    by_county: dict[str, list[UncoveredEnterprise]] = defaultdict(list)
    for uscc, name, region in rows:
        by_county[region].append(UncoveredEnterprise(uscc=uscc, name=name))
    counties = [
        CountyGap(
            region_code=code,
            region_name=(r.name if (r := regions.get(code)) else None),
            enterprises=items,
        )
        for code, items in sorted(by_county.items())
    ]
    return CommissionerGapReport(counties=counties, total=len(rows))
