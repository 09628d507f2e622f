"""The expert pool, random assignment after the provincial review, and blind scoring.

The province keeps its pool; after its review it draws the experts of an application
(``domain.draw``); each expert (token role ``expert``, ``sub`` = the expert's ``subject``) sees
only the applications assigned to them and only their own score. When the last one scores, the
application's expert score is the mean and it moves to ``expert_scored``."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from sme_certification.applications import domain as application_domain
from sme_certification.applications import service as applications
from sme_certification.applications.domain import ApplicationStatus
from sme_certification.applications.models import Application
from sme_certification.experts import domain, repository
from sme_certification.experts.models import Expert, ExpertAssignment
from sme_certification.experts.schemas import (
    AssignedApplication,
    AssignedPage,
    AssignmentRequest,
    ExpertCreate,
    ExpertPage,
    ExpertRead,
    ExpertUpdate,
    Panel,
    PanelMember,
    ScoreSubmit,
)
from sme_certification.rules.facts import Level, Tier
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput
from sme_common.problems import Resource, ensure_in_region, not_found, version_conflict
from sme_common.reference.regions import RegionCatalog

EXPERT = Resource("expert", "expert {key}", "专家 {key}")
ASSIGNMENT = Resource("assignment", "assignment {key}", "评审任务 {key}")


def _province_of(actor: Principal) -> str:
    if not actor.region or not actor.region.endswith("0000"):
        raise InvalidInput(
            "province_region_required",
            "The expert pool is the province's",
            "专家库由省级主管部门管理",
            field="region",
        )
    return actor.region


def _check_home(actor: Principal, code: str) -> None:
    if RegionCatalog.load().get(code) is None:
        raise InvalidInput(
            "region_unknown",
            f"{code} is not a region code of the catalogue",
            f"{code} 不是有效的行政区划代码",
            field="home_region_code",
        )
    ensure_in_region(actor, code, code, field="home_region_code")


async def register_expert(
    database: Database, *, command: ExpertCreate, actor: Principal
) -> ExpertRead:
    province = _province_of(actor)
    _check_home(actor, command.home_region_code)
    now = clock.now()
    async with UnitOfWork(database) as uow:
        if await repository.by_subject(uow.session, command.subject) is not None:
            raise Conflict(
                "expert_subject_exists",
                f"An expert with subject {command.subject} is already registered",
                f"标识 {command.subject} 的专家已登记",
                field="subject",
            )
        expert = Expert(
            id=f"exp_{secrets.token_hex(8)}",
            subject=command.subject,
            name=command.name,
            province_code=province,
            home_region_code=command.home_region_code,
            specialities=list(dict.fromkeys(command.specialities)),
            conflicts=sorted(set(command.conflicts)),
            active=True,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(expert)
        await uow.flush()
        read = ExpertRead.model_validate(expert)
        await uow.commit()
        return read


async def list_experts(database: Database, *, actor: Principal) -> ExpertPage:
    province = _province_of(actor)
    async with UnitOfWork(database) as uow:
        rows = await repository.pool(uow.session, province)
        return ExpertPage(items=[ExpertRead.model_validate(r) for r in rows])


async def update_expert(
    database: Database, *, expert_id: str, command: ExpertUpdate, actor: Principal
) -> ExpertRead:
    province = _province_of(actor)
    async with UnitOfWork(database) as uow:
        expert = await repository.expert(uow.session, expert_id, province, for_update=True)
        if expert is None:
            raise not_found(EXPERT, expert_id, field="expert_id")
        if command.version is None or command.version != expert.version:
            raise version_conflict(EXPERT, expert.id, current=expert.version, sent=command.version)
        if command.specialities is not None:
            expert.specialities = list(dict.fromkeys(command.specialities))
        if command.conflicts is not None:
            expert.conflicts = sorted(set(command.conflicts))
        if command.active is not None:
            expert.active = command.active
        expert.version += 1
        expert.updated_at, expert.updated_by = clock.now(), actor.subject
        await uow.flush()
        read = ExpertRead.model_validate(expert)
        await uow.commit()
        return read


def _panel(application: Application, rows: Any) -> Panel:
    return Panel(
        application_id=application.id,
        members=[
            PanelMember(
                assignment_id=a.id,
                expert_id=a.expert_id,
                expert_name=name,
                score=a.score,
                criteria_scores=a.criteria_scores,
                remarks=a.remarks,
                scored_at=a.scored_at,
            )
            for a, name in rows
        ],
        expert_score=application.expert_score,
    )


async def assign_experts(
    database: Database,
    *,
    application_id: str,
    command: AssignmentRequest,
    default_count: int,
    actor: Principal,
) -> Panel:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        application, batch = await applications.application_at_version(
            uow.session, application_id, actor, command.version
        )
        try:
            application_domain.check_assignable(ApplicationStatus(application.status))
        except application_domain.TransitionNotAllowed as error:
            raise applications.transition_refused(error) from None
        experts = await repository.pool(uow.session, batch.province_code)
        chosen = domain.draw(
            [
                domain.Candidate(e.id, e.home_region_code, frozenset(e.conflicts))
                for e in experts
                if e.active
            ],
            region_code=application.region_code,
            uscc=application.uscc,
            count=command.count or default_count,
        )
        for expert_id in chosen:
            uow.session.add(
                ExpertAssignment(
                    id=f"asg_{secrets.token_hex(8)}",
                    application_id=application.id,
                    expert_id=expert_id,
                    assigned_at=now,
                    assigned_by=actor.subject,
                )
            )
        from_status = application.status
        application.status = ApplicationStatus.UNDER_EXPERT_REVIEW.value
        applications.record_step(
            uow.session,
            application,
            action="assign_experts",
            stage="expert_review",
            from_status=from_status,
            remarks={"experts": str(len(chosen))},
            actor=actor,
            at=now,
        )
        await uow.flush()
        panel = _panel(application, await repository.panel(uow.session, application.id))
        await uow.commit()
        return panel


async def expert_panel(database: Database, *, application_id: str, actor: Principal) -> Panel:
    async with UnitOfWork(database) as uow:
        application = await applications.application_in_scope(uow.session, application_id, actor)
        return _panel(application, await repository.panel(uow.session, application.id))


def _assigned(row: Any) -> AssignedApplication:
    assignment, application, batch, name = row
    return AssignedApplication(
        assignment_id=assignment.id,
        application_id=application.id,
        uscc=application.uscc,
        enterprise_name=name,
        tier=Tier(batch.tier),
        level=Level(batch.level),
        declared=application.declared,
        assessment=application.assessment,
        assigned_at=assignment.assigned_at,
        score=assignment.score,
        criteria_scores=assignment.criteria_scores,
        remarks=assignment.remarks,
        scored_at=assignment.scored_at,
    )


async def my_assignments(database: Database, *, actor: Principal) -> AssignedPage:
    async with UnitOfWork(database) as uow:
        rows = await repository.assigned_to(uow.session, actor.subject)
        return AssignedPage(items=[_assigned(r) for r in rows])


async def my_assignment(
    database: Database, *, assignment_id: str, actor: Principal
) -> AssignedApplication:
    async with UnitOfWork(database) as uow:
        row = await repository.assignment_of(uow.session, assignment_id, actor.subject)
        if row is None:
            raise not_found(ASSIGNMENT, assignment_id, field="assignment_id")
        return _assigned(row)


async def score(
    database: Database, *, assignment_id: str, command: ScoreSubmit, actor: Principal
) -> AssignedApplication:
    """The expert's own score, once; the last of the panel completes the expert review."""
    total = domain.overall_score(command.score, command.criteria_scores)
    now = clock.now()
    async with UnitOfWork(database) as uow:
        row = await repository.assignment_of(
            uow.session, assignment_id, actor.subject, for_update=True
        )
        if row is None:
            raise not_found(ASSIGNMENT, assignment_id, field="assignment_id")
        assignment, application, _batch, _name = row
        if assignment.score is not None:
            raise Conflict(
                "score_already_given",
                "You have already scored this application",
                "您已对该申请评分",
                field="score",
            )
        if application.status != ApplicationStatus.UNDER_EXPERT_REVIEW.value:
            raise applications.transition_refused(
                application_domain.TransitionNotAllowed(
                    ApplicationStatus(application.status), "score"
                )
            )
        assignment.score = total
        assignment.criteria_scores = (
            None
            if command.criteria_scores is None
            else {k: str(v) for k, v in command.criteria_scores.items()}
        )
        assignment.remarks = command.remarks
        assignment.scored_at = now
        await uow.flush()
        given: list[Decimal | None] = await repository.scores(uow.session, application.id)
        if all(s is not None for s in given):
            _complete(uow, application, [s for s in given if s is not None], actor, now)
        await uow.flush()
        read = _assigned(row)
        await uow.commit()
        return read


def _complete(
    uow: UnitOfWork, application: Application, given: list[Decimal], actor: Principal, now: Any
) -> None:
    application.expert_score = domain.mean_score(given)
    from_status = application.status
    application.status = ApplicationStatus.EXPERT_SCORED.value
    applications.record_step(
        uow.session,
        application,
        action="expert_scores_complete",
        stage="expert_review",
        from_status=from_status,
        remarks={"expert_score": f"{application.expert_score:.2f}"},
        actor=actor,
        at=now,
    )
