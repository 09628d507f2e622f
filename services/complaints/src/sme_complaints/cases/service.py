"""Complaint cases: intake from every channel (the hotline's work order makes it idempotent), the
statutory lifecycle (``domain.py``) with its clocks, the overdue queues and the breach job.

Every status change goes through ``status_changed`` inside the unit of work that makes it: it
publishes the case's events, and it is the one place to hook anything else that must follow every
change (the hotline's status callbacks)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, RegionScope, Role
from sme_common.calendar import CalendarYearUnknown, platform_calendar
from sme_common.contracts.base import EventData
from sme_common.contracts.events.complaints.models import (
    CaseAcceptedV1,
    CaseClosedV1,
    CaseNotAcceptedV1,
    CaseOverdueV1,
    CaseReceivedV1,
    CaseResolvedV1,
    CaseReturnedV1,
    CaseTransferredV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.ids import UsccError, validate_uscc
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, expect_version, not_found
from sme_common.reference.regions import RegionCatalog
from sme_complaints.callbacks import service as callbacks
from sme_complaints.cases import domain, repository
from sme_complaints.cases.domain import (
    ACCEPTING_DEPARTMENT,
    Actor,
    CaseAction,
    CaseStatus,
    Department,
    Step,
)
from sme_complaints.cases.events import CASE_TOPIC, case_event
from sme_complaints.cases.models import CasePause, CaseStep, ComplaintCase
from sme_complaints.cases.schemas import (
    STEP_FIELDS,
    CaseCreate,
    CaseFilters,
    CasePage,
    CaseRead,
    CaseStepCommand,
    Channel,
    ContactRead,
    Deadline,
    OverdueItem,
    OverduePage,
    OverdueQuery,
    StepPage,
    StepRead,
)
from sme_complaints.categories.domain import catalogue, missing_fields

CASE = Resource("case", "complaint case {key}", "投诉案件 {key}")
DEPARTMENT = Resource("department", "department {key}", "处理投诉部门 {key}")
CURSOR = KeyCursor(re.compile(r"case_[0-9a-f]{16}"), member="c")


# --- reading -----------------------------------------------------------------------------------


def deadline_of(case: ComplaintCase) -> Deadline | None:
    if case.clock is None or case.clock_started_on is None:
        return None
    rule = _rule(case)
    return Deadline(
        clock=case.clock,
        started_on=case.clock_started_on,
        due_on=case.due_on,
        unit=rule.unit,
        days=rule.days,
        paused_workdays=case.clock_paused_workdays,
        paused_days=case.clock_paused_days,
        source=rule.source,
        unknown=case.deadline_unknown,
    )


def case_read(case: ComplaintCase) -> CaseRead:
    return CaseRead(
        id=case.id,
        channel=Channel(case.channel),
        work_order_no=case.work_order_no,
        category_code=case.category_code,
        complainant_uscc=case.complainant_uscc,
        complainant_name=case.complainant_name,
        complainant_size_class=case.complainant_size_class,
        respondent_name=case.respondent_name,
        respondent_uscc=case.respondent_uscc,
        respondent_type=case.respondent_type,
        region_code=case.region_code,
        reporting_unit_code=case.reporting_unit_code,
        contract=case.contract,
        amount_owed_fen=case.amount_owed_fen,
        other_proceedings=case.other_proceedings,
        evidence=case.evidence,
        description=case.description,
        registry_facts=case.registry_facts,
        possible_duplicate_of=case.possible_duplicate_of,
        status=CaseStatus(case.status),
        department_id=case.department_id,
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        transferred_on=case.transferred_on,
        department_received_on=case.department_received_on,
        extended=case.extended,
        paused_since=case.paused_since,
        deadline=deadline_of(case),
        breached_on=case.breached_on,
        outcome=case.outcome,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )


async def case_in_scope(
    session: AsyncSession, case_id: str, actor: Principal, *, for_update: bool = False
) -> ComplaintCase:
    case = await repository.get(session, case_id, actor, for_update=for_update)
    if case is None:
        raise not_found(CASE, case_id, field="case_id")
    return case


async def get_case(database: Database, *, case_id: str, actor: Principal) -> CaseRead:
    async with UnitOfWork(database) as uow:
        return case_read(await case_in_scope(uow.session, case_id, actor))


async def list_cases(database: Database, *, filters: CaseFilters, actor: Principal) -> CasePage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find(
            uow.session, actor, status=filters.status, after=after, limit=filters.limit
        )
        page, last = split_page(rows, filters.limit)
        return CasePage(
            items=[case_read(c) for c in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


async def list_steps(database: Database, *, case_id: str, actor: Principal) -> StepPage:
    async with UnitOfWork(database) as uow:
        case = await case_in_scope(uow.session, case_id, actor)
        rows = await repository.steps(uow.session, case.id)
        return StepPage(
            items=[
                StepRead(
                    action=CaseAction(s.action),
                    from_status=CaseStatus(s.from_status),
                    to_status=CaseStatus(s.to_status),
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


def _department(department_id: str | None) -> Department | None:
    return domain.routing().departments.get(department_id or "")


def _covers_department(actor: Principal, department: Department) -> bool:
    """Department users are the officers of the department's region."""
    unit = RegionCatalog.load().reporting_unit_for(department.region_code)
    unit_code = unit.code if unit is not None else department.region_code
    return actor.region_scope().covers(department.region_code, unit_code)


async def get_contact(database: Database, *, case_id: str, actor: Principal) -> ContactRead:
    """The complainant's contact, for the accepting officers (the province) and the officers of
    the department handling the case; never the respondent (保密, 第二十五条). The route records
    every read (``audit_read``)."""
    async with UnitOfWork(database) as uow:
        case = await case_in_scope(uow.session, case_id, actor)
        accepting = actor.has_role(Role.PROVINCE_OFFICER)
        department = _department(case.department_id)
        handling = department is not None and _covers_department(actor, department)
        if not (accepting or handling):
            raise Forbidden(
                "complainant_contact_forbidden",
                "Only the accepting and the handling officers see the complainant's contact",
                "投诉人联系方式仅限受理和处理投诉部门的工作人员查看",
                field="case_id",
            )
        return ContactRead(case_id=case.id, name=case.contact_name, phone=case.contact_phone)


# --- intake -----------------------------------------------------------------------------------


def _invalid(code: str, detail: str, detail_zh: str, field: str) -> InvalidInput:
    return InvalidInput(code, detail, detail_zh, field=field)


def _checked_uscc(value: str, field: str) -> str:
    try:
        return validate_uscc(value)
    except UsccError as exc:
        raise _invalid(
            "uscc_invalid",
            f"Not a valid unified social credit code: {exc.detail}",
            f"统一社会信用代码无效：{exc.detail_zh}",
            field,
        ) from None


def _validate(command: CaseCreate, today: date) -> tuple[str, str]:
    """Everything intake checks beyond the schema; returns the respondent's region and
    reporting unit."""
    category = catalogue().get(command.category_code)
    if category is None:
        raise _invalid(
            "category_unknown",
            f"No complaint category {command.category_code!r} (see GET /v1/categories)",
            f"投诉类别 {command.category_code} 不存在（见 GET /v1/categories）",
            "category_code",
        )
    contract = command.contract
    if contract.subject.value not in category.contract_subjects:
        raise _invalid(
            "category_subject_mismatch",
            f"Category {category.code} is for contracts of {', '.join(category.contract_subjects)}",
            f"投诉类别 {category.name} 适用的合同标的为 {'、'.join(category.contract_subjects)}",
            "contract.subject",
        )
    present = {
        "contract.delivered_on": contract.delivered_on,
        "contract.accepted_on": contract.accepted_on,
        "contract.agreed_payment_days": contract.agreed_payment_days,
        "contract.agreed_rate": contract.agreed_rate,
    }
    missing = missing_fields(category, present)
    if missing:
        raise _invalid(
            "category_field_missing",
            f"Category {category.code} needs {missing[0].replace('|', ' or ')}",
            f"投诉类别 {category.name} 须填写 {missing[0].replace('|', ' 或 ')}",
            missing[0].split("|")[0],
        )
    _checked_uscc(command.complainant.uscc, "complainant.uscc")
    if command.respondent.uscc is not None:
        _checked_uscc(command.respondent.uscc, "respondent.uscc")
        if command.respondent.uscc == command.complainant.uscc:
            raise _invalid(
                "respondent_is_complainant",
                "The respondent cannot be the complainant",
                "被投诉人不能是投诉人本身",
                "respondent.uscc",
            )
    if contract.signed_on > today:
        raise _invalid(
            "contract_signed_in_future",
            "The contract cannot be signed after today",
            "合同签订日期不能晚于今天",
            "contract.signed_on",
        )
    for name, value in (
        ("delivered_on", contract.delivered_on),
        ("accepted_on", contract.accepted_on),
    ):
        if value is not None and not (contract.signed_on <= value <= today):
            raise _invalid(
                "contract_date_out_of_range",
                f"contract.{name} must fall between the signing date and today",
                f"合同 {name} 应在签订日期与今天之间",
                f"contract.{name}",
            )
    if command.amount_owed_fen > contract.amount_fen:
        raise _invalid(
            "amount_owed_exceeds_contract",
            "The amount owed exceeds the contract amount",
            "拖欠金额超过合同金额",
            "amount_owed_fen",
        )
    proceedings = command.other_proceedings
    if proceedings.seized != bool(proceedings.bodies):
        raise _invalid(
            "other_proceedings_inconsistent",
            "Name the bodies that have the matter when seized is true, and none otherwise",
            "已由其他机构受理时须列明机构，未受理时不应列出",
            "other_proceedings.bodies",
        )
    catalog = RegionCatalog.load()
    region = catalog.get(command.respondent.region_code)
    unit = catalog.reporting_unit_for(command.respondent.region_code)
    if (
        region is None
        or region.valid_to_year is not None
        or (region.level != "province" and unit is None)
    ):
        raise _invalid(
            "region_unknown",
            f"{command.respondent.region_code} is not a region in force in the catalogue",
            f"{command.respondent.region_code} 不是现行有效的行政区划代码",
            "respondent.region_code",
        )
    return region.code, unit.code if unit is not None else region.code


def _channel(command: CaseCreate, actor: Principal, region: str, unit: str) -> tuple[Channel, str]:
    if actor.has_role(Role.HOTLINE):
        if command.work_order_no is None:
            raise _invalid(
                "work_order_required",
                "The hotline files a complaint with its work-order number",
                "热线平台提交投诉须附工单编号",
                "work_order_no",
            )
        return Channel.HOTLINE, repository.channel_of(actor)
    if actor.has_role(Role.AGENCY_SYSTEM):
        return Channel.AGENCY, repository.channel_of(actor)
    if actor.has_role(Role.ENTERPRISE):
        if command.complainant.uscc != actor.uscc:
            raise Forbidden(
                "complainant_not_self",
                "An enterprise files complaints for itself only",
                "企业用户只能以本企业名义投诉",
                field="complainant.uscc",
            )
        return Channel.WEB, f"web:{actor.uscc}"
    if not actor.region_scope().covers(region, unit):
        raise Forbidden(
            "region_forbidden",
            f"The respondent's region {region} is outside yours",
            f"被投诉人所在地 {region} 不在您的辖区内",
            field="respondent.region_code",
        )
    return Channel.COUNTER, f"counter:{actor.subject}"


async def _registry_facts(
    session: AsyncSession, command: CaseCreate, now: datetime
) -> dict[str, Any]:
    """What the directory knows of both parties at intake, read in one query; what it cannot tell
    is said, not guessed (intake never waits for it).

    The complainant is an SME if its size class in force when the contract was signed was micro,
    small or medium (国务院令第802号 第三条: 中小企业、大型企业依合同订立时的企业规模类型确定):
    registry's latest size-class decision (工信部联企业〔2011〕300号) made by the end of the
    signing day. With none known by then it is ``unknown`` and the declared class stands until
    checked (第二十九条: disputes over the size class)."""

    def basis_of(decision: directory.SizeClassDecision | None, when: str) -> str:
        """What the size answer was read from, in words an officer can check against registry."""
        if decision is None:
            return (
                f"no size-class decision by registry is known {when}: not guessed; the declared "
                "class stands until checked (国务院令第802号 第三条, 第二十九条)"
            )
        decided_on = clock.business_day(decision.decided_at)
        basis = (
            f"registry's size-class decision of {decided_on} (facts of {decision.basis_year}, "
            f"thresholds {decision.rule_version}, 工信部联企业〔2011〕300号), in force {when}"
        )
        if decision.size_class is None:
            return f"{basis}, decided no class (the figures did not allow it)"
        return f"{basis}: {decision.size_class} (国务院令第802号 第三条)"

    signed_on = command.contract.signed_on
    own_uscc, other_uscc = command.complainant.uscc, command.respondent.uscc
    known = await directory.enterprise_facts(
        session,
        [own_uscc, *([other_uscc] if other_uscc is not None else [])],
        RegionScope(RegionLevel.ALL),
        on=signed_on,
    )
    mine = known[own_uscc]
    found = mine.entry
    in_force = mine.size_class_on
    complainant: dict[str, Any] = {
        "registered": found is not None,
        "declared_size_class": command.complainant.size_class.value,
        "sme_at_contract_date": {True: "yes", False: "no", None: "unknown"}[
            in_force.is_sme if in_force is not None else None
        ],
        "size_class_at_contract_date": in_force.size_class if in_force is not None else None,
        "size_class_basis_year": in_force.basis_year if in_force is not None else None,
        "sme_basis": basis_of(in_force, f"when the contract was signed on {signed_on}"),
    }
    if found is not None:
        complainant["region_code"] = found.region_code
        complainant["operating_status"] = found.operating_status
        if found.founded_on is not None:
            complainant["founded_on"] = found.founded_on.isoformat()
            complainant["founded_after_contract"] = found.founded_on > signed_on
    respondent: dict[str, Any] = {"declared_type": command.respondent.type.value}
    declared_large = command.respondent.type.value == "large_enterprise"
    if other_uscc is None:
        respondent["large"] = "unknown" if declared_large else "not_applicable"
        if declared_large:
            respondent["large_basis"] = "no USCC given: the respondent is large as declared"
        return {"checked_at": now.isoformat(), "complainant": complainant, "respondent": respondent}
    other = known[other_uscc]
    latest = other.latest_size_class
    respondent["registered"] = other.entry is not None
    respondent["size_class"] = latest.size_class if latest is not None else None
    respondent["size_class_basis_year"] = latest.basis_year if latest is not None else None
    at_signing = other.size_class_on
    respondent["size_class_at_contract_date"] = (
        at_signing.size_class if at_signing is not None else None
    )
    if latest is not None and latest.is_sme is not None:
        respondent["large"] = "no" if latest.is_sme else "yes"
    else:
        # 机关 and 事业单位 have no size class; an enterprise without one is not known to be large.
        respondent["large"] = "unknown" if declared_large else "not_applicable"
    respondent["large_basis"] = basis_of(latest, "at intake (the latest known)")
    return {"checked_at": now.isoformat(), "complainant": complainant, "respondent": respondent}


def content_hash(command: CaseCreate) -> str:
    canonical = json.dumps(command.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def create_case(
    database: Database, *, command: CaseCreate, actor: Principal
) -> tuple[int, CaseRead]:
    """File a complaint (received). The same work order of the same channel with the same content
    is the same case (200); with other content a 409 ``work_order_conflict``.

    Intake is the hot path (issue 11: 100 a second through the gateway), so it takes as few round
    trips as it can (docs/benchmarks.md, complaints): one read for the channel's work order and
    the possible duplicate, the directory, then the case and its first step in one statement
    whose insert does nothing when the channel's work order is already filed (the unique key
    decides, so two deliveries of one work order at once are still one case: the later waits for
    the earlier to commit and answers its case), the callback channel, the outbox, the seal."""
    now = clock.now()
    today = clock.business_day(now)
    region, unit = _validate(command, today)
    channel, channel_id = _channel(command, actor, region, unit)
    digest = content_hash(command)
    async with UnitOfWork(database) as uow:
        session = uow.session
        contract = command.contract.model_dump(mode="json")
        lookup = await repository.intake_lookup(
            session,
            channel_id=channel_id,
            work_order_no=command.work_order_no,
            complainant_uscc=command.complainant.uscc,
            respondent_name=command.respondent.name,
            signed_on=contract["signed_on"],
            amount_fen=command.contract.amount_fen,
        )
        if lookup.filed_id is not None:
            filed = await session.get(ComplaintCase, lookup.filed_id)
            assert filed is not None  # read a moment ago in this transaction; never deleted
            return _already_filed(command, digest, filed)
        case = ComplaintCase(
            id=f"case_{secrets.token_hex(8)}",
            channel=channel.value,
            channel_id=channel_id,
            work_order_no=command.work_order_no,
            content_hash=digest,
            category_code=command.category_code,
            complainant_uscc=command.complainant.uscc,
            complainant_name=command.complainant.name,
            complainant_size_class=command.complainant.size_class.value,
            contact_name=command.complainant.contact.name,
            contact_phone=command.complainant.contact.phone,
            respondent_name=command.respondent.name,
            respondent_uscc=command.respondent.uscc,
            respondent_type=command.respondent.type.value,
            region_code=region,
            reporting_unit_code=unit,
            contract=contract,
            amount_owed_fen=command.amount_owed_fen,
            other_proceedings=command.other_proceedings.model_dump(mode="json"),
            evidence=[e.model_dump(mode="json") for e in command.evidence],
            description=command.description,
            registry_facts=await _registry_facts(session, command, now),
            possible_duplicate_of=lookup.possible_duplicate_of,
            status=CaseStatus.RECEIVED.value,
            department_id=None,
            received_on=today,
            accepted_on=None,
            transferred_on=None,
            department_received_on=None,
            extended=False,
            clock=None,
            clock_started_on=None,
            clock_paused_workdays=0,
            clock_paused_days=0,
            due_on=None,
            deadline_unknown=None,
            paused_since=None,
            breached_on=None,
            outcome=None,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        _start_clock(case, "accept", today)
        step = Step(CaseAction.FILE, CaseStatus.RECEIVED, CaseStatus.RECEIVED)
        first = _step_row(case, "file", step, {"channel": channel.value}, actor, now, today)
        if not await repository.insert_filed_case(session, case, first):
            # Another delivery of the same work order committed first: answer its case.
            assert command.work_order_no is not None  # only a work order has a unique key
            filed = await repository.by_work_order(session, channel_id, command.work_order_no)
            assert filed is not None
            return _already_filed(command, digest, filed)
        await status_changed(uow, case, "file", {}, now)
        await uow.commit()
        return 201, case_read(case)


def _already_filed(command: CaseCreate, digest: str, filed: ComplaintCase) -> tuple[int, CaseRead]:
    """The channel filed this work order before: the same content is the same case (200), other
    content a 409 ``work_order_conflict``."""
    if filed.content_hash != digest:
        raise Conflict(
            "work_order_conflict",
            f"Work order {command.work_order_no} was filed with other content (case {filed.id})",
            f"工单 {command.work_order_no} 已以不同内容提交（案件 {filed.id}）",
            field="work_order_no",
        )
    return 200, case_read(filed)


# --- clocks -----------------------------------------------------------------------------------


def _rule(case: ComplaintCase) -> domain.DeadlineRule:
    assert case.clock is not None
    name = "handle_extended" if case.clock == "handle" and case.extended else case.clock
    return domain.deadline_rules().rule(name, domain.province_of(case.region_code))


def _recompute_due(case: ComplaintCase) -> None:
    """The running clock's last day from its start and its pauses; a year whose working days are
    not known leaves it unknown (said on the case), never guessed."""
    if case.clock is None or case.clock_started_on is None:
        case.due_on = None
        return
    try:
        case.due_on = _rule(case).due_on(
            case.clock_started_on,
            platform_calendar(),
            paused_workdays=case.clock_paused_workdays,
            paused_days=case.clock_paused_days,
        )
        case.deadline_unknown = None
    except CalendarYearUnknown as unknown:
        case.due_on = None
        case.deadline_unknown = f"calendar_year_unknown:{unknown.year}"


def _start_clock(case: ComplaintCase, name: str, start: date) -> None:
    case.clock, case.clock_started_on = name, start
    case.clock_paused_workdays = case.clock_paused_days = 0
    case.breached_on = case.reminded_on = None
    _recompute_due(case)


def _stop_clock(case: ComplaintCase) -> None:
    case.clock = case.clock_started_on = case.due_on = case.deadline_unknown = None
    case.clock_paused_workdays = case.clock_paused_days = 0
    case.breached_on = case.reminded_on = None


# --- steps ------------------------------------------------------------------------------------


def _step_row(
    case: ComplaintCase,
    action: str,
    step: Step,
    details: dict[str, Any],
    actor: Principal,
    at: datetime,
    on: date,
) -> CaseStep:
    return CaseStep(
        case_id=case.id,
        action=action,
        from_status=step.from_status.value,
        to_status=step.to_status.value,
        department_id=case.department_id or details.get("department_id"),
        details=details,
        version=case.version,
        acted_on=on,
        acted_at=at,
        acted_by=actor.subject,
    )


def _record(
    session: AsyncSession,
    case: ComplaintCase,
    action: str,
    step: Step,
    details: dict[str, Any],
    actor: Principal,
    at: datetime,
    on: date,
) -> None:
    session.add(_step_row(case, action, step, details, actor, at, on))


def _check_actor(case: ComplaintCase, step: Step, actor: Principal) -> None:
    if domain.actor_of(step.from_status, step.action) is Actor.ACCEPTING:
        if not actor.has_role(Role.PROVINCE_OFFICER):
            raise Forbidden(
                "accepting_officer_required",
                f"{step.action} is the accepting department's step (the province's officers)",
                f"{step.action} 由受理投诉部门（省级）办理",
                field="action",
            )
        return
    department = _department(case.department_id)
    if department is None or not _covers_department(actor, department):
        raise Forbidden(
            "department_officer_required",
            f"{step.action} is the step of the department handling the case",
            f"{step.action} 由承办该投诉的处理部门办理",
            field="action",
        )


def transition_refused(error: domain.TransitionNotAllowed) -> Conflict:
    return Conflict(error.code, error.detail, error.detail_zh, field="action")


async def take_step(
    database: Database, *, case_id: str, command: CaseStepCommand, actor: Principal
) -> CaseRead:
    """One step of the lifecycle at the version the caller read; refused steps change nothing."""
    now = clock.now()
    today = clock.business_day(now)
    _check_step_fields(command)
    async with UnitOfWork(database) as uow:
        session = uow.session
        case = await case_in_scope(session, case_id, actor, for_update=True)
        expect_version(CASE, case.id, current=case.version, sent=command.version)
        try:
            step = domain.next_step(
                CaseStatus(case.status),
                CaseAction(command.action),
                paused=case.paused_since is not None,
                extended=case.extended,
            )
        except domain.TransitionNotAllowed as error:
            raise transition_refused(error) from None
        _check_actor(case, step, actor)
        details = await _apply(session, case, step, command, today)
        case.status = step.to_status.value
        case.version += 1
        case.updated_at, case.updated_by = now, actor.subject
        _record(session, case, step.action.value, step, details, actor, now, today)
        await status_changed(uow, case, step.action.value, details, now)
        await uow.commit()
        return case_read(case)


def _check_step_fields(command: CaseStepCommand) -> None:
    """Each action takes its own fields: one it needs and lacks, or one it does not take, is a
    422 naming the field."""
    needed, optional = STEP_FIELDS[command.action.value]
    sent = {
        name for name, value in command if value is not None and name not in ("action", "version")
    }
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


async def _apply(
    session: AsyncSession,
    case: ComplaintCase,
    step: Step,
    command: Any,
    today: date,
) -> dict[str, Any]:
    """What the step changes beyond the status; returns the details kept with it."""
    action = step.action
    if action is CaseAction.ACCEPT:
        case.accepted_on = today
        _start_clock(case, "transfer", today)
        return {}
    if action is CaseAction.NOT_ACCEPT:
        _stop_clock(case)
        case.outcome = {"not_accepted": command.reason_code.value, "remarks": command.remarks}
        return {"reason_code": command.reason_code.value, "remarks": command.remarks}
    if action is CaseAction.TRANSFER:
        department = await _transfer_target(session, case, command.department_id)
        case.department_id = department.id
        case.transferred_on = today
        _stop_clock(case)  # no statutory clock while the materials travel
        return {"department_id": department.id, "remarks": command.remarks}
    if action is CaseAction.RECEIVE:
        received_on = command.received_on or today
        if case.transferred_on is None or not (case.transferred_on <= received_on <= today):
            raise InvalidInput(
                "received_on_out_of_range",
                "The department receives the case between its transfer and today",
                "接收日期应在转交日期与今天之间",
                field="received_on",
            )
        case.department_received_on = received_on
        _start_clock(case, "handle", received_on)
        return {"received_on": received_on.isoformat()}
    if action is CaseAction.RETURN:
        returned_by = case.department_id
        case.department_id = None
        # Re-routing gets the transfer period again, from the return.
        _start_clock(case, "transfer", today)
        return {"department_id": returned_by, "reason": command.reason}
    if action is CaseAction.EXTEND:
        case.extended = True
        _recompute_due(case)
        if not domain.is_breached(case.due_on, today):
            case.breached_on = None
        return {"approved_by": command.approved_by, "reason": command.reason}
    if action is CaseAction.PAUSE:
        case.paused_since = today
        session.add(
            CasePause(
                case_id=case.id,
                clock=case.clock or case.status,
                reason=command.reason,
                started_on=today,
                ended_on=None,
                paused_workdays=None,
                paused_days=None,
            )
        )
        return {"reason": command.reason}
    if action is CaseAction.RESUME:
        return await _resume(session, case, today)
    if action is CaseAction.RESOLVE:
        _check_outcome(case, command, today)
        on_time = case.due_on is None or today <= case.due_on
        _stop_clock(case)
        case.outcome = {
            "outcome": command.outcome.value,
            "amount_paid_fen": command.amount_paid_fen,
            "written_result": command.written_result,
            "agreement_due_on": (
                command.agreement_due_on.isoformat() if command.agreement_due_on else None
            ),
            "resolved_on": today.isoformat(),
            "within_deadline": on_time,
        }
        return {"outcome": command.outcome.value, "amount_paid_fen": command.amount_paid_fen}
    if action is CaseAction.CLOSE:
        if case.paused_since is not None:
            await _resume(session, case, today)
        _stop_clock(case)
        reason_code = command.close_reason_code.value
        case.outcome = {"closed": reason_code, "remarks": command.remarks}
        return {"reason_code": reason_code, "remarks": command.remarks}
    # VISIT: the satisfaction visit (回访) after the result.
    case.outcome = {
        **(case.outcome or {}),
        "visit": {
            "satisfaction": command.satisfaction.value,
            "remarks": command.remarks,
            "visited_on": today.isoformat(),
        },
    }
    return {"satisfaction": command.satisfaction.value}


async def _resume(session: AsyncSession, case: ComplaintCase, today: date) -> dict[str, Any]:
    pause = await repository.open_pause(session, case.id)
    started_on = case.paused_since or today
    try:
        workdays, days = domain.pause_length(started_on, today, platform_calendar())
    except CalendarYearUnknown as unknown:
        workdays, days = 0, (today - started_on).days
        case.deadline_unknown = f"calendar_year_unknown:{unknown.year}"
    if pause is not None:
        pause.ended_on, pause.paused_workdays, pause.paused_days = today, workdays, days
    case.paused_since = None
    case.clock_paused_workdays += workdays
    case.clock_paused_days += days
    if case.deadline_unknown is None or not case.deadline_unknown.startswith("calendar"):
        _recompute_due(case)
    return {"paused_from": started_on.isoformat(), "workdays": workdays, "days": days}


async def _transfer_target(
    session: AsyncSession, case: ComplaintCase, department_id: str | None
) -> Department:
    routing = domain.routing()
    if department_id is not None:
        department = routing.departments.get(department_id)
        if department is None:
            raise InvalidInput(
                "department_unknown",
                f"No department {department_id} in the routing table",
                f"处理部门 {department_id} 不在路由表中",
                field="department_id",
            )
        return department
    department = routing.route(case.respondent_type, case.region_code, case.reporting_unit_code)
    if department.id == await repository.last_returned_by(session, case.id):
        raise InvalidInput(
            "department_required_after_return",
            f"{department.id} returned this case: name the department to route it to",
            f"{department.name} 已退回该投诉，请指定改派的处理部门",
            field="department_id",
        )
    return department


def _check_outcome(case: ComplaintCase, command: Any, today: date) -> None:
    paid, owed = command.amount_paid_fen, case.amount_owed_fen
    outcome = command.outcome.value
    wrong = None
    if paid > owed:
        wrong = ("amount_paid_exceeds_owed", "more than the amount owed", "超过拖欠金额")
    elif outcome == "paid_in_full" and paid != owed:
        wrong = ("paid_in_full_amount_mismatch", "not the amount owed", "与拖欠金额不符")
    elif outcome == "paid_in_part" and not 0 < paid < owed:
        wrong = ("paid_in_part_amount_invalid", "not a part of the amount owed", "不是部分支付")
    if wrong is not None:
        raise InvalidInput(
            wrong[0],
            f"amount_paid_fen {paid} is {wrong[1]} ({owed})",
            f"已支付金额 {paid} {wrong[2]}（{owed}）",
            field="amount_paid_fen",
        )
    if outcome == "repayment_agreement" and (
        command.agreement_due_on is None or command.agreement_due_on < today
    ):
        raise InvalidInput(
            "agreement_due_on_required",
            "A repayment agreement names its last day (today or later)",
            "还款协议须载明还款截止日期（不早于今天）",
            field="agreement_due_on",
        )


# --- status changes ---------------------------------------------------------------------------

_EVENTS: dict[str, type[EventData]] = {
    "file": CaseReceivedV1,
    "accept": CaseAcceptedV1,
    "not_accept": CaseNotAcceptedV1,
    "transfer": CaseTransferredV1,
    "return": CaseReturnedV1,
    "resolve": CaseResolvedV1,
    "close": CaseClosedV1,
    "overdue": CaseOverdueV1,
}


def _parties(case: ComplaintCase) -> list[tuple[str, str]]:
    """Whom a case's events are about: the complainant, and the respondent when it is in the
    register (the directory knew its USCC at intake); registry shows them on their profiles."""
    parties = [(case.complainant_uscc, "complainant")]
    respondent_known = (case.registry_facts.get("respondent") or {}).get("registered") is True
    if case.respondent_uscc is not None and respondent_known:
        parties.append((case.respondent_uscc, "respondent"))
    return parties


async def status_changed(
    uow: UnitOfWork, case: ComplaintCase, action: str, details: dict[str, Any], at: datetime
) -> None:
    """Called on every change of a case, inside the unit of work that makes it, after the case
    holds its new state and version (and before the commit): intake (``file``), every step of
    ``take_step`` (``accept`` … ``visit``, ``pause`` and ``resume`` included) and a breached
    deadline (``overdue``, from ``mark_overdue``; ``details`` then has ``clock``, ``due_on``,
    ``department_id``, ``escalated_to``). Queues the signed status callback to the channel that
    filed the case (the hotline must see every status change) and publishes the case's events
    (one per party with a USCC the register knows, keyed by it)."""
    await callbacks.notify_channel_of(
        uow,
        client_id=case.channel_id,
        case_id=case.id,
        work_order_no=case.work_order_no,
        status=case.status,
        occurred_at=at,
        payload={"action": action, "version": case.version, **_callback_details(details)},
    )
    model = _EVENTS.get(action)
    if model is None:
        return
    extra: dict[str, Any] = {}
    if action in ("transfer", "return") and details.get("department_id"):
        extra["department_id"] = details["department_id"]
    if action in ("not_accept", "close"):
        extra["reason_code"] = details["reason_code"]
    if action == "overdue":
        extra = {
            "deadline": details["clock"],
            "due_on": details["due_on"],
            "department_id": details["department_id"],
            "escalated_to": details["escalated_to"],
        }
    for uscc, role in _parties(case):
        payload = model(
            case_id=case.id,
            uscc=uscc,
            party_role=role,
            amount_owed_fen=case.amount_owed_fen,
            status=case.status,
            occurred_at=at,
            **extra,
        )
        uow.publish(CASE_TOPIC, case_event(payload))


def _callback_details(details: dict[str, Any]) -> dict[str, Any]:
    """What of a step's details the filing channel is told: its reasons, deadlines and routing,
    as JSON (dates as ISO text); never the complainant's contact (it is not in the details)."""
    return {
        key: value.isoformat() if isinstance(value, date | datetime) else value
        for key, value in details.items()
        if isinstance(value, str | int | bool | date | datetime) or value is None
    }


# --- overdue ----------------------------------------------------------------------------------


async def list_overdue(
    database: Database, *, department_id: str, query: OverdueQuery, actor: Principal
) -> OverduePage:
    """A department's cases past their deadline today (paused ones excepted), in the caller's
    region."""
    department = _department(department_id)
    if department is None or not _covers_department(actor, department):
        raise not_found(DEPARTMENT, department_id, field="department_id")
    today = clock.business_today()
    after = CURSOR.after(query.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.overdue_of_department(
            uow.session, actor, department_id, today=today, after=after, limit=query.limit
        )
        page, last = split_page(rows, query.limit)
        return OverduePage(
            department_id=department_id,
            as_of=today,
            items=[
                OverdueItem(
                    case_id=c.id,
                    status=CaseStatus(c.status),
                    clock=c.clock or "",
                    due_on=c.due_on,
                    breached_on=c.breached_on,
                    amount_owed_fen=c.amount_owed_fen,
                    respondent_name=c.respondent_name,
                )
                for c in page
            ],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


def _holder(case: ComplaintCase) -> str:
    if case.status in (CaseStatus.TRANSFERRED.value, CaseStatus.IN_HANDLING.value):
        return case.department_id or ACCEPTING_DEPARTMENT
    return ACCEPTING_DEPARTMENT


async def mark_overdue(database: Database, *, today: date | None = None, batch: int = 200) -> int:
    """Marks every open, running case past its deadline (once per clock), escalates it to the
    level above the department holding it (督办) and publishes ``case.overdue``; returns how many.
    Safe to run from several workers (rows are taken with SKIP LOCKED)."""
    day = today or clock.business_today()
    now = clock.now()
    marked = 0
    while True:
        async with UnitOfWork(database) as uow:
            cases = await repository.newly_breached(uow.session, day, batch)
            if not cases:
                return marked
            routing = domain.routing()
            for case in cases:
                case.breached_on = day
                holder = _holder(case)
                escalated_to = routing.escalation_of(holder)
                details = {
                    "clock": case.clock,
                    "due_on": case.due_on,
                    "department_id": holder,
                    "escalated_to": escalated_to,
                }
                uow.audit(
                    "escalate",
                    "complaint_case",
                    case.id,
                    detail={**details, "due_on": case.due_on.isoformat() if case.due_on else None},
                )
                await status_changed(uow, case, "overdue", details, now)
            marked += len(cases)
            await uow.commit()


async def remind_due_soon(
    database: Database, *, today: date | None = None, batch: int = 200
) -> int:
    """催办: marks the open, running cases whose deadline falls within the rules' reminder window
    (``reminder_working_days_before`` working days) and records the reminder in the audit for the
    department holding each; returns how many. Once per clock."""
    day = today or clock.business_today()
    window = domain.deadline_rules().reminder_working_days_before
    try:
        until = platform_calendar().add_workdays(day, window)
    except CalendarYearUnknown:
        return 0
    reminded = 0
    while True:
        async with UnitOfWork(database) as uow:
            cases = await repository.due_soon(uow.session, day, until, batch)
            if not cases:
                return reminded
            for case in cases:
                case.reminded_on = day
                uow.audit(
                    "remind",
                    "complaint_case",
                    case.id,
                    detail={
                        "clock": case.clock,
                        "due_on": case.due_on.isoformat() if case.due_on else None,
                        "department_id": _holder(case),
                    },
                )
            reminded += len(cases)
            await uow.commit()
