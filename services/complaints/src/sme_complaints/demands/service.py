"""The enterprise demands ledger (诉求工作台账, seed 000 (二十二)): recording, the closed loop
(assign → answer → the enterprise confirms or reopens), the clocks, the overdue queues and the
figures per 市州 and department.

The clocks are the complaints' (``cases.domain``: ``DeadlineRule.due_on`` on the working-day
calendar, ``is_breached``, ``province_of``); ``demand_changed`` is this kind's ``status_changed``:
the hotline's status callback for the demands it recorded, and the ``complaints.demand.*``
events registry shows on the enterprise's profile."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, RegionScope, Role
from sme_common.calendar import CalendarYearUnknown, platform_calendar
from sme_common.contracts.base import EventData
from sme_common.contracts.events.complaints.models import (
    DemandAnsweredV1,
    DemandAssignedV1,
    DemandClosedV1,
    DemandOverdueV1,
    DemandRecordedV1,
    DemandReopenedV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.ids import UsccError, validate_uscc
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, expect_version, not_found
from sme_common.reference.regions import RegionCatalog
from sme_complaints.callbacks import service as callbacks
from sme_complaints.cases import domain as case_domain
from sme_complaints.cases.domain import Department, TransitionNotAllowed
from sme_complaints.cases.events import case_event
from sme_complaints.demands import domain, repository
from sme_complaints.demands.domain import (
    DemandAction,
    DemandActor,
    DemandSource,
    DemandStatus,
    DemandStep,
)
from sme_complaints.demands.models import DemandStepRow, EnterpriseDemand
from sme_complaints.demands.schemas import (
    STEP_FIELDS,
    DemandCreate,
    DemandDeadline,
    DemandFilters,
    DemandPage,
    DemandRead,
    DemandStepCommand,
    DemandStepPage,
    DemandStepRead,
    DemandSummary,
    DemandTopic,
    DemandTopicList,
    OverdueDemand,
    OverdueDemandPage,
    OverdueDemandQuery,
    SummaryQuery,
    SummaryRow,
)

DEMAND_TOPIC = "complaints.demand"
DEMAND = Resource("demand", "enterprise demand {key}", "企业诉求 {key}")
DEPARTMENT = Resource("department", "department {key}", "责任部门 {key}")
CURSOR = KeyCursor(re.compile(r"dem_[0-9a-f]{16}"), member="d")


# --- reading -----------------------------------------------------------------------------------


def topics() -> DemandTopicList:
    routing = domain.demand_routing()
    return DemandTopicList(
        version=routing.version,
        source=routing.source,
        items=[
            DemandTopic(
                code=t.code, name=t.name, name_en=t.name_en, department_name=t.department_name
            )
            for t in routing.topics.values()
        ],
    )


def _rule(demand: EnterpriseDemand) -> case_domain.DeadlineRule:
    assert demand.clock is not None
    return domain.rule(demand.clock, case_domain.province_of(demand.region_code))


def deadline_of(demand: EnterpriseDemand) -> DemandDeadline | None:
    if demand.clock is None or demand.clock_started_on is None:
        return None
    rule = _rule(demand)
    return DemandDeadline(
        clock=demand.clock,
        started_on=demand.clock_started_on,
        due_on=demand.due_on,
        unit=rule.unit,
        days=rule.days,
        unverified=domain.unverified(demand.clock),
        source=rule.source,
        unknown=demand.deadline_unknown,
    )


def demand_read(demand: EnterpriseDemand) -> DemandRead:
    return DemandRead(
        id=demand.id,
        source=DemandSource(demand.source),
        work_order_no=demand.work_order_no,
        uscc=demand.uscc,
        enterprise_name=demand.enterprise_name,
        region_code=demand.region_code,
        reporting_unit_code=demand.reporting_unit_code,
        topic_code=demand.topic_code,
        title=demand.title,
        description=demand.description,
        status=DemandStatus(demand.status),
        department_id=demand.department_id,
        recorded_on=demand.recorded_on,
        assigned_on=demand.assigned_on,
        answered_on=demand.answered_on,
        closed_on=demand.closed_on,
        reopen_count=demand.reopen_count,
        deadline=deadline_of(demand),
        breached_on=demand.breached_on,
        answer=demand.answer,
        confirmation=demand.confirmation,
        version=demand.version,
        created_at=demand.created_at,
        updated_at=demand.updated_at,
    )


async def demand_in_scope(
    session: AsyncSession, demand_id: str, actor: Principal, *, for_update: bool = False
) -> EnterpriseDemand:
    demand = await repository.get(session, demand_id, actor, for_update=for_update)
    if demand is None:
        raise not_found(DEMAND, demand_id, field="demand_id")
    return demand


async def get_demand(database: Database, *, demand_id: str, actor: Principal) -> DemandRead:
    async with UnitOfWork(database) as uow:
        return demand_read(await demand_in_scope(uow.session, demand_id, actor))


async def list_demands(
    database: Database, *, filters: DemandFilters, actor: Principal
) -> DemandPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find(
            uow.session,
            actor,
            status=filters.status,
            topic_code=filters.topic_code,
            department_id=filters.department_id,
            after=after,
            limit=filters.limit,
        )
        page, last = split_page(rows, filters.limit)
        return DemandPage(
            items=[demand_read(d) for d in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


async def list_steps(database: Database, *, demand_id: str, actor: Principal) -> DemandStepPage:
    async with UnitOfWork(database) as uow:
        demand = await demand_in_scope(uow.session, demand_id, actor)
        rows = await repository.steps(uow.session, demand.id)
        return DemandStepPage(
            items=[
                DemandStepRead(
                    action=DemandAction(s.action),
                    from_status=DemandStatus(s.from_status),
                    to_status=DemandStatus(s.to_status),
                    department_id=s.department_id,
                    details=s.details,
                    version=s.version,
                    acted_on=s.acted_on,
                    acted_at=s.acted_at,
                    acted_by=s.acted_by,
                )
                for s in rows
            ]
        )


def _covers_department(actor: Principal, department: Department) -> bool:
    """A department's officers are the officers of its region."""
    unit = RegionCatalog.load().reporting_unit_for(department.region_code)
    unit_code = unit.code if unit is not None else department.region_code
    return actor.region_scope().covers(department.region_code, unit_code)


# --- recording --------------------------------------------------------------------------------


def _invalid(code: str, detail: str, detail_zh: str, field: str) -> InvalidInput:
    return InvalidInput(code, detail, detail_zh, field=field)


def _place(region_code: str, field: str) -> tuple[str, str]:
    catalog = RegionCatalog.load()
    region = catalog.get(region_code)
    unit = catalog.reporting_unit_for(region_code)
    if (
        region is None
        or region.valid_to_year is not None
        or not region_code.startswith("62")
        or (region.level != "province" and unit is None)
    ):
        raise _invalid(
            "region_unknown",
            f"{region_code} is not a region of the province in force in the catalogue",
            f"{region_code} 不是本省现行有效的行政区划代码",
            field,
        )
    return region.code, unit.code if unit is not None else region.code


async def _enterprise_place(session: AsyncSession, command: DemandCreate) -> tuple[str, str]:
    """The enterprise's region (属地): the register's when it knows the enterprise."""
    found = await directory.get(session, command.uscc, RegionScope(RegionLevel.ALL))
    if found is not None:
        if command.region_code is not None and command.region_code != found.region_code:
            raise _invalid(
                "region_mismatch",
                f"The register places {command.uscc} in {found.region_code}",
                f"企业登记所在地为 {found.region_code}，与填写的不一致",
                "region_code",
            )
        return _place(found.region_code, "region_code")
    if command.region_code is None:
        raise _invalid(
            "region_required",
            "The enterprise is not in the register: give its region_code",
            "该企业尚未入库，请填写所在地行政区划代码",
            "region_code",
        )
    return _place(command.region_code, "region_code")


def _channel(command: DemandCreate, actor: Principal, region: str, unit: str) -> str:
    """Who may record what: the hotline its calls (with the work order), an enterprise its own
    demand on the platform, officers (service commissioners, 包抓联) of the enterprise's region
    what their visits and letters collect."""
    source = command.source
    if actor.has_role(Role.HOTLINE):
        if source is not DemandSource.HOTLINE:
            raise _invalid(
                "demand_source_invalid",
                "The hotline records demands with source hotline",
                "热线平台记录的诉求来源应为 hotline",
                "source",
            )
        if command.work_order_no is None:
            raise _invalid(
                "work_order_required",
                "The hotline records a demand with its work-order number",
                "热线平台记录诉求须附工单编号",
                "work_order_no",
            )
        return repository.channel_of(actor)
    if actor.has_role(Role.ENTERPRISE):
        if command.uscc != actor.uscc:
            raise Forbidden(
                "enterprise_not_self",
                "An enterprise records demands for itself only",
                "企业用户只能提交本企业的诉求",
                field="uscc",
            )
        if source is not DemandSource.PLATFORM:
            raise _invalid(
                "demand_source_invalid",
                "An enterprise records its demand with source platform",
                "企业自行提交的诉求来源应为 platform",
                "source",
            )
        return f"web:{actor.uscc}"
    if source in (DemandSource.PLATFORM, DemandSource.HOTLINE):
        raise _invalid(
            "demand_source_invalid",
            "Officers record demands from commissioners, visits and letters",
            "工作人员记录的诉求来源应为 commissioner、visit 或 letter",
            "source",
        )
    if not actor.region_scope().covers(region, unit):
        raise Forbidden(
            "region_forbidden",
            f"The enterprise's region {region} is outside yours",
            f"企业所在地 {region} 不在您的辖区内",
            field="region_code",
        )
    return f"officer:{actor.subject}"


async def create_demand(
    database: Database, *, command: DemandCreate, actor: Principal
) -> tuple[int, DemandRead]:
    """Record a demand (recorded; the ``assign`` clock starts). The same work order of the same
    channel with the same content is the same demand (200); with other content a 409."""
    now = clock.now()
    today = clock.business_day(now)
    if command.topic_code not in domain.demand_routing().topics:
        raise _invalid(
            "topic_unknown",
            f"No demand topic {command.topic_code!r} (see GET /v1/demand-topics)",
            f"诉求类别 {command.topic_code} 不存在（见 GET /v1/demand-topics）",
            "topic_code",
        )
    try:
        validate_uscc(command.uscc)
    except UsccError as exc:
        raise _invalid(
            "uscc_invalid",
            f"Not a valid unified social credit code: {exc.detail}",
            f"统一社会信用代码无效：{exc.detail_zh}",
            "uscc",
        ) from None
    async with UnitOfWork(database) as uow:
        session = uow.session
        region, unit = await _enterprise_place(session, command)
        channel_id = _channel(command, actor, region, unit)
        if command.work_order_no is not None:
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                {"k": f"demand_work_order:{channel_id}:{command.work_order_no}"},
            )
            existing = await repository.by_work_order(session, channel_id, command.work_order_no)
            if existing is not None:
                same = (
                    existing.uscc == command.uscc
                    and existing.topic_code == command.topic_code
                    and existing.title == command.title
                    and existing.description == command.description
                )
                if not same:
                    raise Conflict(
                        "work_order_conflict",
                        f"Work order {command.work_order_no} was recorded with other content "
                        f"(demand {existing.id})",
                        f"工单 {command.work_order_no} 已以不同内容记录（诉求 {existing.id}）",
                        field="work_order_no",
                    )
                return 200, demand_read(existing)
        demand = EnterpriseDemand(
            id=f"dem_{secrets.token_hex(8)}",
            source=command.source.value,
            channel_id=channel_id,
            work_order_no=command.work_order_no,
            uscc=command.uscc,
            enterprise_name=command.enterprise_name,
            region_code=region,
            reporting_unit_code=unit,
            topic_code=command.topic_code,
            title=command.title,
            description=command.description,
            status=DemandStatus.RECORDED.value,
            department_id=None,
            recorded_on=today,
            assigned_on=None,
            answered_on=None,
            closed_on=None,
            reopen_count=0,
            clock=None,
            clock_started_on=None,
            due_on=None,
            deadline_unknown=None,
            breached_on=None,
            reminded_on=None,
            answer=None,
            confirmation=None,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        _start_clock(demand, "assign", today)
        session.add(demand)
        await uow.flush()
        step = DemandStep(DemandAction.RECORD, DemandStatus.RECORDED, DemandStatus.RECORDED)
        _record(session, demand, step, {"source": command.source.value}, actor, now, today)
        await demand_changed(uow, demand, "record", {}, now)
        await uow.commit()
        return 201, demand_read(demand)


# --- clocks (the complaints' rules, on the same calendar) -------------------------------------


def _recompute_due(demand: EnterpriseDemand) -> None:
    if demand.clock is None or demand.clock_started_on is None:
        demand.due_on = None
        return
    try:
        demand.due_on = _rule(demand).due_on(demand.clock_started_on, platform_calendar())
        demand.deadline_unknown = None
    except CalendarYearUnknown as unknown:
        demand.due_on = None
        demand.deadline_unknown = f"calendar_year_unknown:{unknown.year}"


def _start_clock(demand: EnterpriseDemand, name: str, start: date) -> None:
    demand.clock, demand.clock_started_on = name, start
    demand.breached_on = demand.reminded_on = None
    _recompute_due(demand)


def _stop_clock(demand: EnterpriseDemand) -> None:
    demand.clock = demand.clock_started_on = demand.due_on = demand.deadline_unknown = None
    demand.breached_on = demand.reminded_on = None


# --- steps ------------------------------------------------------------------------------------


def _record(
    session: AsyncSession,
    demand: EnterpriseDemand,
    step: DemandStep,
    details: dict[str, Any],
    actor: Principal,
    at: datetime,
    on: date,
) -> None:
    session.add(
        DemandStepRow(
            demand_id=demand.id,
            action=step.action.value,
            from_status=step.from_status.value,
            to_status=step.to_status.value,
            department_id=demand.department_id,
            details=details,
            version=demand.version,
            acted_on=on,
            acted_at=at,
            acted_by=actor.subject,
        )
    )


def _check_fields(command: DemandStepCommand, actor: Principal) -> None:
    needed, optional = STEP_FIELDS[command.action.value]
    sent = {
        name for name, value in command if value is not None and name not in ("action", "version")
    }
    if command.action in (DemandAction.CONFIRM, DemandAction.REOPEN):
        if actor.has_role(Role.ENTERPRISE):
            optional = tuple(f for f in optional if f != "confirmed_via")
        else:
            needed = (*needed, "confirmed_via")
    for name in needed:
        if name not in sent:
            raise InvalidInput(
                "step_field_missing",
                f"The step {command.action} needs {name}",
                f"{command.action} 须填写 {name}",
                field=name,
            )
    for name in sorted(sent - set(needed) - set(optional)):
        raise InvalidInput(
            "step_field_not_allowed",
            f"The step {command.action} does not take {name}",
            f"{command.action} 不接受字段 {name}",
            field=name,
        )


def _check_actor(demand: EnterpriseDemand, step: DemandStep, actor: Principal) -> None:
    """Assign: an officer of the enterprise's region; answer: an officer of the department
    holding it; confirm / reopen: the enterprise, or an officer of its region on its word. The
    demand was found through the caller's scope, so ``region`` holds for every officer here."""
    who = domain.ACTORS[step.action]
    officer = actor.has_role(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER)
    if who is DemandActor.REGION and not officer:
        raise Forbidden(
            "region_officer_required",
            f"{step.action} is a step of the officers of the enterprise's region",
            f"{step.action} 由企业属地的工作人员办理",
            field="action",
        )
    if who is DemandActor.DEPARTMENT:
        department = domain.demand_routing().departments.get(demand.department_id or "")
        if not officer or department is None or not _covers_department(actor, department):
            raise Forbidden(
                "department_officer_required",
                f"{step.action} is the step of the department holding the demand",
                f"{step.action} 由承办该诉求的责任部门办理",
                field="action",
            )


def _assign_target(demand: EnterpriseDemand, department_id: str | None) -> Department:
    routing = domain.demand_routing()
    if department_id is None:
        return routing.route(demand.topic_code, demand.reporting_unit_code)
    department = routing.departments.get(department_id)
    if department is None:
        raise InvalidInput(
            "department_unknown",
            f"No department {department_id} in the routing data",
            f"责任部门 {department_id} 不在路由数据中",
            field="department_id",
        )
    if department.region_code not in (demand.reporting_unit_code, "620000"):
        raise InvalidInput(
            "department_out_of_region",
            f"{department_id} is not a department of {demand.reporting_unit_code} or the province",
            f"{department.name} 不是企业属地（{demand.reporting_unit_code}）或省级的部门",
            field="department_id",
        )
    return department


def _apply(
    demand: EnterpriseDemand,
    step: DemandStep,
    command: DemandStepCommand,
    actor: Principal,
    today: date,
) -> dict[str, Any]:
    action = step.action
    if action is DemandAction.ASSIGN:
        department = _assign_target(demand, command.department_id)
        demand.department_id = department.id
        demand.assigned_on = today
        _start_clock(demand, "answer", today)
        return {"department_id": department.id, "remarks": command.remarks}
    if action is DemandAction.ANSWER:
        on_time = not case_domain.is_breached(demand.due_on, today)
        _stop_clock(demand)
        demand.answered_on = today
        demand.answer = {
            "text": command.answer,
            "answered_on": today.isoformat(),
            "answered_by": actor.subject,
            "within_deadline": on_time,
            "remarks": command.remarks,
        }
        return {"answer": command.answer, "within_deadline": on_time}
    by = "enterprise" if actor.has_role(Role.ENTERPRISE) else "officer"
    via = command.confirmed_via.value if command.confirmed_via is not None else "platform"
    if action is DemandAction.CONFIRM:
        demand.closed_on = today
        demand.confirmation = {
            "confirmed": True,
            "by": by,
            "via": via,
            "on": today.isoformat(),
            "remarks": command.remarks,
        }
        return {"by": by, "via": via, "remarks": command.remarks}
    # REOPEN: back to the same department, the answer clock from today.
    demand.reopen_count += 1
    demand.answered_on = None
    demand.confirmation = {
        "confirmed": False,
        "by": by,
        "via": via,
        "on": today.isoformat(),
        "reason": command.reason,
    }
    _start_clock(demand, "answer", today)
    return {"by": by, "via": via, "reason": command.reason, "department_id": demand.department_id}


async def take_step(
    database: Database, *, demand_id: str, command: DemandStepCommand, actor: Principal
) -> DemandRead:
    """One step of the closed loop at the version the caller read; a refused step changes
    nothing."""
    now = clock.now()
    today = clock.business_day(now)
    _check_fields(command, actor)
    async with UnitOfWork(database) as uow:
        session = uow.session
        demand = await demand_in_scope(session, demand_id, actor, for_update=True)
        expect_version(DEMAND, demand.id, current=demand.version, sent=command.version)
        try:
            step = domain.next_step(DemandStatus(demand.status), DemandAction(command.action))
        except TransitionNotAllowed as error:
            raise Conflict(error.code, error.detail, error.detail_zh, field="action") from None
        _check_actor(demand, step, actor)
        details = _apply(demand, step, command, actor, today)
        demand.status = step.to_status.value
        demand.version += 1
        demand.updated_at, demand.updated_by = now, actor.subject
        _record(session, demand, step, details, actor, now, today)
        await demand_changed(uow, demand, step.action.value, details, now)
        await uow.commit()
        return demand_read(demand)


# --- status changes ---------------------------------------------------------------------------

_EVENTS: dict[str, type[EventData]] = {
    "record": DemandRecordedV1,
    "assign": DemandAssignedV1,
    "answer": DemandAnsweredV1,
    "reopen": DemandReopenedV1,
    "confirm": DemandClosedV1,
    "overdue": DemandOverdueV1,
}


async def demand_changed(
    uow: UnitOfWork, demand: EnterpriseDemand, action: str, details: dict[str, Any], at: datetime
) -> None:
    """Every change of a demand, inside its unit of work: the hotline's signed status callback
    (for the demands it recorded: ``kind`` ``demand``) and the demand's event, keyed by the
    enterprise's USCC (registry shows it on the enterprise's profile)."""
    await callbacks.notify_channel_of(
        uow,
        client_id=demand.channel_id,
        case_id=demand.id,
        work_order_no=demand.work_order_no,
        status=demand.status,
        occurred_at=at,
        payload={
            "kind": "demand",
            "action": action,
            "version": demand.version,
            "department_id": demand.department_id,
        },
    )
    extra: dict[str, Any] = {}
    if demand.department_id is not None:
        extra["department_id"] = demand.department_id
    if action == "overdue":
        extra.update(
            deadline=details["clock"],
            due_on=details["due_on"],
            escalated_to=details["escalated_to"],
        )
        extra["department_id"] = details["department_id"]
    payload = _EVENTS[action](
        demand_id=demand.id,
        uscc=demand.uscc,
        topic_code=demand.topic_code,
        status=demand.status,
        occurred_at=at,
        **extra,
    )
    event = case_event(payload)
    uow.publish(DEMAND_TOPIC, event)


# --- figures and queues -----------------------------------------------------------------------


async def summary(database: Database, *, query: SummaryQuery, actor: Principal) -> DemandSummary:
    """Open, overdue and closed demands per 市州 (the enterprise's) or per department, in the
    caller's region; demands not yet assigned count under ``unassigned`` per department."""
    today = clock.business_today()
    by_department = query.group_by.value == "department"
    routing = domain.demand_routing()
    catalog = RegionCatalog.load()
    async with UnitOfWork(database) as uow:
        rows = await repository.summary(
            uow.session, actor, by_department=by_department, today=today
        )
    out = []
    for key, open_, overdue, closed in rows:
        if by_department:
            department = routing.departments.get(key or "")
            name = department.name if department is not None else "未交办"
        else:
            region = catalog.get(key or "")
            name = region.name if region is not None else (key or "")
        out.append(
            SummaryRow(
                key=key or "unassigned", name=name, open=open_, overdue=overdue, closed=closed
            )
        )
    return DemandSummary(group_by=query.group_by, as_of=today, rows=out)


async def list_overdue(
    database: Database, *, department_id: str, query: OverdueDemandQuery, actor: Principal
) -> OverdueDemandPage:
    """A department's demands past their answer deadline today, in the caller's region."""
    department = domain.demand_routing().departments.get(department_id)
    if department is None or not _covers_department(actor, department):
        raise not_found(DEPARTMENT, department_id, field="department_id")
    today = clock.business_today()
    after = CURSOR.after(query.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.overdue_of_department(
            uow.session, actor, department_id, today=today, after=after, limit=query.limit
        )
        page, last = split_page(rows, query.limit)
        return OverdueDemandPage(
            department_id=department_id,
            as_of=today,
            items=[
                OverdueDemand(
                    demand_id=d.id,
                    status=DemandStatus(d.status),
                    clock=d.clock or "",
                    due_on=d.due_on,
                    breached_on=d.breached_on,
                    uscc=d.uscc,
                    enterprise_name=d.enterprise_name,
                    topic_code=d.topic_code,
                    title=d.title,
                )
                for d in page
                if d.due_on is not None
            ],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


def _holder(demand: EnterpriseDemand) -> str:
    """Who holds a demand: its department once assigned; before, the province's office of the
    ledger (省工信厅负责, seed 000 (二十二))."""
    if demand.status == DemandStatus.ASSIGNED.value and demand.department_id:
        return demand.department_id
    return domain.demand_routing().province_department


async def mark_overdue(database: Database, *, today: date | None = None, batch: int = 200) -> int:
    """Marks every open demand past its deadline (once per clock), escalates it to the level
    above its holder (督办) and publishes ``complaints.demand.overdue.v1``; returns how many."""
    day = today or clock.business_today()
    now = clock.now()
    marked = 0
    routing = domain.demand_routing()
    while True:
        async with UnitOfWork(database) as uow:
            demands = await repository.newly_breached(uow.session, day, batch)
            if not demands:
                return marked
            for demand in demands:
                demand.breached_on = day
                holder = _holder(demand)
                details = {
                    "clock": demand.clock,
                    "due_on": demand.due_on,
                    "department_id": holder,
                    "escalated_to": routing.escalation_of(holder),
                }
                uow.audit(
                    "escalate",
                    "enterprise_demand",
                    demand.id,
                    detail={
                        **details,
                        "due_on": demand.due_on.isoformat() if demand.due_on else None,
                    },
                )
                await demand_changed(uow, demand, "overdue", details, now)
            marked += len(demands)
            await uow.commit()


async def remind_due_soon(
    database: Database, *, today: date | None = None, batch: int = 200
) -> int:
    """催办: marks the open demands whose deadline falls within the reminder window and records
    the reminder in the audit for their holder; returns how many. Once per clock."""
    day = today or clock.business_today()
    window = domain.deadline_rules().reminder_working_days_before
    try:
        until = platform_calendar().add_workdays(day, window)
    except CalendarYearUnknown:
        return 0
    reminded = 0
    while True:
        async with UnitOfWork(database) as uow:
            demands = await repository.due_soon(uow.session, day, until, batch)
            if not demands:
                return reminded
            for demand in demands:
                demand.reminded_on = day
                uow.audit(
                    "remind",
                    "enterprise_demand",
                    demand.id,
                    detail={
                        "clock": demand.clock,
                        "due_on": demand.due_on.isoformat() if demand.due_on else None,
                        "department_id": _holder(demand),
                    },
                )
            reminded += len(demands)
            await uow.commit()
