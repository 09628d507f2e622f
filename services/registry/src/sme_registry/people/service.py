"""Service commissioners and financial advisers, their enterprises, and the coverage report."""

from __future__ import annotations

import secrets
from collections import defaultdict

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.exc import IntegrityError

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork, utcnow
from sme_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.reference.regions import RegionCatalog
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.service import not_found
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


def _person_scope(actor: Principal) -> ColumnElement[bool]:
    return actor.region_scope().clause(ServicePerson.region_code, ServicePerson.reporting_unit_code)


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
    if not actor.region_scope().covers(command.region_code, unit.code):
        raise Forbidden(
            "region_forbidden",
            "You may appoint people only in your own region",
            "只能在本辖区内指定服务人员",
            field="region_code",
        )

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
            created_at=utcnow(),
            created_by=actor.subject,
        )
        uow.session.add(person)
        await uow.flush()
        return 201, PersonRead.model_validate(person).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def list_people(database: Database, *, actor: Principal, role: str | None) -> PersonPage:
    async with UnitOfWork(database) as uow:
        query = select(ServicePerson).where(_person_scope(actor))
        if role:
            query = query.where(ServicePerson.role == role)
        rows = (await uow.session.execute(query.order_by(ServicePerson.id))).scalars().all()
        return PersonPage(items=[PersonRead.model_validate(r) for r in rows])


async def _person(uow: UnitOfWork, person_id: str, actor: Principal) -> ServicePerson:
    person = (
        await uow.session.execute(
            select(ServicePerson).where(ServicePerson.id == person_id, _person_scope(actor))
        )
    ).scalar_one_or_none()
    if person is None:
        raise NotFound(
            "person_not_found",
            f"No person {person_id} in your region",
            "您的辖区内没有该服务人员",
            field="person_id",
        )
    return person


async def assign(
    database: Database, *, person_id: str, command: AssignmentCreate, actor: Principal
) -> AssignmentRead:
    async with UnitOfWork(database) as uow:
        await _person(uow, person_id, actor)
        if await enterprises.get(uow.session, command.uscc, actor.region_scope()) is None:
            raise not_found(command.uscc)
        already = Conflict(
            "already_assigned",
            "This person already serves this enterprise",
            "该服务人员已负责该企业",
            field="uscc",
        )
        open_one = (
            await uow.session.execute(
                select(ServiceAssignment.id).where(
                    ServiceAssignment.person_id == person_id,
                    ServiceAssignment.uscc == command.uscc,
                    ServiceAssignment.ended_on.is_(None),
                )
            )
        ).first()
        if open_one is not None:
            raise already
        assignment = ServiceAssignment(
            id=f"assign_{secrets.token_hex(8)}",
            person_id=person_id,
            uscc=command.uscc,
            assigned_on=command.assigned_on,
            recorded_at=utcnow(),
            recorded_by=actor.subject,
        )
        uow.session.add(assignment)
        try:
            await uow.flush()
        except IntegrityError as exc:
            # Two assignments of one person to one enterprise at once: the open-assignment index
            # lets one in, the other is the same conflict as above.
            constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
            if constraint == "uq_service_assignment_open":
                raise already from exc
            raise
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
        assignment = await uow.session.get(ServiceAssignment, assignment_id, with_for_update=True)
        if assignment is None or assignment.person_id != person_id:
            raise NotFound(
                "assignment_not_found",
                "No such assignment",
                "没有该服务关系",
                field="assignment_id",
            )
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
        assignment.ended_on = command.ended_on
        assignment.ended_at, assignment.ended_by = utcnow(), actor.subject
        await uow.commit()
        return AssignmentRead.model_validate(assignment)


async def enterprise_people(database: Database, *, uscc: str, actor: Principal) -> EnterprisePeople:
    async with UnitOfWork(database) as uow:
        if await enterprises.get(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        rows = (
            (
                await uow.session.execute(
                    select(ServicePerson)
                    .join(ServiceAssignment, ServiceAssignment.person_id == ServicePerson.id)
                    .where(ServiceAssignment.uscc == uscc, ServiceAssignment.ended_on.is_(None))
                    .order_by(ServicePerson.role, ServicePerson.name)
                )
            )
            .scalars()
            .all()
        )
        return EnterprisePeople(items=[PersonRead.model_validate(r) for r in rows])


async def commissioner_gaps(database: Database, *, actor: Principal) -> CommissionerGapReport:
    """小巨人 enterprises in your region with no active service commissioner, by county."""
    covered = exists().where(
        and_(
            ServiceAssignment.uscc == Enterprise.uscc,
            ServiceAssignment.ended_on.is_(None),
            ServicePerson.id == ServiceAssignment.person_id,
            ServicePerson.role == "service_commissioner",
            ServicePerson.active.is_(True),
        )
    )
    async with UnitOfWork(database) as uow:
        rows = (
            await uow.session.execute(
                select(Enterprise.uscc, Enterprise.name, Enterprise.region_code)
                .where(
                    enterprises.in_scope(actor.region_scope()),
                    Enterprise.tier == "little_giant",
                    ~covered,
                )
                .order_by(Enterprise.region_code, Enterprise.uscc)
            )
        ).all()
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
