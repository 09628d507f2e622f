"""Subsidy projects (项目补助): filing, evidence, the review chain and the entitlement.

Every step locks the project, checks the version the caller read, the caller's role and place
and that the caller did not take the step it checks (maker ≠ checker), writes a step, and commits
once: the entitlement of the last step is created through ``entitlements.service`` in the same
transaction, so nothing is ever half-written.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict
from datetime import date
from typing import Any

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.pagination import KeyCursor
from sme_common.problems import Resource, enterprise_in_scope, expect_version, not_found
from sme_common.rules import RuleViolation
from sme_common.storage import DocumentNotStored, DocumentStorage
from sme_funding.config import EVIDENCE_MAX_BYTES
from sme_funding.entitlements import domain as entitlements_domain
from sme_funding.entitlements import repository as entitlements_repository
from sme_funding.entitlements import service as entitlements_service
from sme_funding.policies.book import load_book
from sme_funding.policies.domain import (
    EntitlementProposal,
    ExplanationLine,
    PayeeKind,
    Policy,
    TriggerKind,
    check_holder,
)
from sme_funding.projects import domain, repository
from sme_funding.projects.domain import Accepted, Action, ProjectStatus, StepRefused
from sme_funding.projects.models import ProjectEvidence, ProjectStep, SubsidyProject
from sme_funding.projects.schemas import (
    EVIDENCE_TYPES,
    Acceptance,
    EvidencePage,
    EvidenceQuery,
    EvidenceRead,
    ProjectCreate,
    ProjectFilters,
    ProjectPage,
    ProjectRead,
    ProjectRejection,
    ProjectReturn,
    ProjectUpdate,
    StepCommand,
    StepPage,
    StepRead,
)

PROJECT = Resource("project", "subsidy project {key}", "补助项目 {key}")
EVIDENCE = Resource("evidence", "evidence document {key}", "证明材料 {key}")
CURSOR = KeyCursor(re.compile(r"^prj_[0-9a-f]{16}$"))
MAX_EVIDENCE_PER_PROJECT = 50


def _refused(error: StepRefused) -> Exception:
    if error.code == "maker_checker":
        return Forbidden(error.code, error.detail, error.detail_zh, field=error.field)
    return Conflict(error.code, error.detail, error.detail_zh, field=error.field)


def _role(actor: Principal) -> str:
    return next(iter(sorted(actor.roles)), "")


def _read(project: SubsidyProject) -> ProjectRead:
    return ProjectRead.model_validate(project)


async def _in_scope(
    uow: UnitOfWork, project_id: str, actor: Principal, *, for_update: bool = False
) -> SubsidyProject:
    project = await repository.in_scope(
        uow.session, project_id, actor.region_scope(), for_update=for_update
    )
    if project is None:
        raise not_found(PROJECT, project_id, field="project_id")
    return project


def _policy(code: str, province_code: str, on: date) -> Policy:
    """The subsidy-project policy ``code`` in force in the province on ``on``; 422
    ``policy_not_available`` otherwise."""
    policy = load_book().get(code, on=on)
    if (
        policy is None
        or policy.trigger.kind is not TriggerKind.SUBSIDY_PROJECT
        or policy.province_code != province_code
    ):
        raise InvalidInput(
            "policy_not_available",
            f"No subsidy-project policy {code} is in force in province {province_code} on {on}",
            f"{on}该省（{province_code}）没有有效的项目补助政策{code}",
            field="policy_code",
        )
    return policy


def _step(
    uow: UnitOfWork,
    project: SubsidyProject,
    action: Action,
    before: str | None,
    actor: Principal,
    *,
    remarks: str | None = None,
    field_remarks: dict[str, str] | None = None,
) -> None:
    at = clock.now()
    uow.session.add(
        ProjectStep(
            project_id=project.id,
            action=action.value,
            from_status=before,
            to_status=project.status,
            actor=actor.subject,
            actor_role=_role(actor),
            at=at,
            remarks=remarks,
            field_remarks=field_remarks or {},
        )
    )
    uow.audit(
        f"project.{action.value}",
        "subsidy_project",
        project.id,
        detail={"from": before, "to": project.status, "remarks": remarks},
    )


def _touch(project: SubsidyProject) -> None:
    project.updated_at = clock.now()
    project.version += 1


# --- filing ------------------------------------------------------------------------------------


async def create_project(
    database: Database, *, command: ProjectCreate, actor: Principal
) -> ProjectRead:
    """File a draft: the enterprise for itself, or an officer for an enterprise of its region."""
    today = clock.business_today()
    async with UnitOfWork(database) as uow:
        entry: Any = await enterprise_in_scope(directory.get, uow.session, command.uscc, actor)
        province = f"{entry.region_code[:2]}0000"
        policy = _policy(command.policy_code, province, today)
        at = clock.now()
        project = SubsidyProject(
            id=f"prj_{secrets.token_hex(8)}",
            uscc=command.uscc,
            region_code=entry.region_code,
            reporting_unit_code=entry.reporting_unit_code,
            policy_code=policy.code,
            policy_version=policy.version,
            title=command.title,
            period_from_on=command.period_from_on,
            period_to_on=command.period_to_on,
            declared_eligible_spend_fen=command.eligible_spend_fen,
            declared_total_investment_fen=command.total_investment_fen,
            explanation=[],
            remarks={},
            status=ProjectStatus.DRAFT.value,
            filed_on=today,
            filed_by=actor.subject,
            created_at=at,
            updated_at=at,
            version=1,
        )
        uow.session.add(project)
        await uow.flush()
        _step(uow, project, Action.CREATE, None, actor)
        await uow.flush()
        read = _read(project)
        await uow.commit()
    return read


def _editable(project: SubsidyProject) -> None:
    if ProjectStatus(project.status) not in domain.EDITABLE:
        raise Conflict(
            "project_status_conflict",
            f"A project that is {project.status} cannot be changed; only a draft or a returned one",
            f"状态为 {project.status} 的项目不能修改，只能修改草稿或退回补正的项目",
            field="status",
        )


async def update_project(
    database: Database, *, project_id: str, command: ProjectUpdate, actor: Principal
) -> ProjectRead:
    async with UnitOfWork(database) as uow:
        project = await _in_scope(uow, project_id, actor, for_update=True)
        expect_version(PROJECT, project_id, current=project.version, sent=command.version)
        _editable(project)
        changes = command.model_dump(exclude_unset=True, exclude={"version"})
        start = changes.get("period_from_on", project.period_from_on)
        end = changes.get("period_to_on", project.period_to_on)
        if start > end:
            raise InvalidInput(
                "period_invalid",
                "The period starts after it ends",
                "项目起始日期晚于结束日期",
                field="period_from_on",
            )
        for name, value in changes.items():
            if name == "eligible_spend_fen":
                if value is None:
                    raise InvalidInput(
                        "eligible_spend_required",
                        "The eligible spend cannot be removed",
                        "投入金额不能为空",
                        field="eligible_spend_fen",
                    )
                project.declared_eligible_spend_fen = value
            elif name == "total_investment_fen":
                project.declared_total_investment_fen = value
            elif value is not None:
                setattr(project, name, value)
        _touch(project)
        _step(uow, project, Action.UPDATE, project.status, actor)
        await uow.flush()
        read = _read(project)
        await uow.commit()
    return read


async def add_evidence(
    database: Database,
    *,
    project_id: str,
    query: EvidenceQuery,
    content_type: str | None,
    content: bytes,
    storage: DocumentStorage,
    actor: Principal,
) -> EvidenceRead:
    """Keep an evidence document (content in the storage, metadata here), while the project is a
    draft or returned."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type not in EVIDENCE_TYPES:
        raise InvalidInput(
            "evidence_type_unsupported",
            f"Evidence is one of {', '.join(EVIDENCE_TYPES)}, not {media_type or 'untyped'}",
            "证明材料须为 PDF、JPEG 或 PNG 文件",
            field="Content-Type",
        )
    if not content:
        raise InvalidInput("evidence_empty", "The document is empty", "证明材料为空", field="body")
    if len(content) > EVIDENCE_MAX_BYTES:
        raise InvalidInput(
            "evidence_too_large",
            f"A document is at most {EVIDENCE_MAX_BYTES} bytes",
            f"证明材料不能超过 {EVIDENCE_MAX_BYTES} 字节",
            field="body",
        )
    async with UnitOfWork(database) as uow:
        project = await _in_scope(uow, project_id, actor, for_update=True)
        _editable(project)
        if await repository.evidence_count(uow.session, project.id) >= MAX_EVIDENCE_PER_PROJECT:
            raise Conflict(
                "evidence_limit_reached",
                f"A project has at most {MAX_EVIDENCE_PER_PROJECT} documents",
                f"每个项目最多上传 {MAX_EVIDENCE_PER_PROJECT} 份证明材料",
                field="body",
            )
        evidence_id = f"evd_{secrets.token_hex(8)}"
        key = f"projects/{project.id}/{evidence_id}"
        await storage.put(key, content)
        document = ProjectEvidence(
            id=evidence_id,
            project_id=project.id,
            kind=query.kind,
            filename=query.filename,
            content_type=media_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            storage_key=key,
            uploaded_at=clock.now(),
            uploaded_by=actor.subject,
        )
        uow.session.add(document)
        _touch(project)
        _step(uow, project, Action.ADD_EVIDENCE, project.status, actor, remarks=query.filename)
        await uow.flush()
        read = EvidenceRead.model_validate(document)
        await uow.commit()
    return read


async def list_evidence(database: Database, *, project_id: str, actor: Principal) -> EvidencePage:
    async with UnitOfWork(database) as uow:
        project = await _in_scope(uow, project_id, actor)
        rows = await repository.evidence_of(uow.session, project.id)
        return EvidencePage(items=[EvidenceRead.model_validate(r) for r in rows])


async def evidence_content(
    database: Database,
    *,
    project_id: str,
    evidence_id: str,
    storage: DocumentStorage,
    actor: Principal,
) -> tuple[EvidenceRead, bytes]:
    async with UnitOfWork(database) as uow:
        project = await _in_scope(uow, project_id, actor)
        document = await repository.evidence(uow.session, project.id, evidence_id)
        if document is None:
            raise not_found(EVIDENCE, evidence_id, field="evidence_id")
        read, key = EvidenceRead.model_validate(document), document.storage_key
    try:
        return read, await storage.get(key)
    except DocumentNotStored:
        raise not_found(EVIDENCE, evidence_id, field="evidence_id") from None


# --- reads -------------------------------------------------------------------------------------


async def get_project(database: Database, *, project_id: str, actor: Principal) -> ProjectRead:
    async with UnitOfWork(database) as uow:
        return _read(await _in_scope(uow, project_id, actor))


async def list_projects(
    database: Database, *, filters: ProjectFilters, actor: Principal
) -> ProjectPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.page(
            uow.session,
            actor.region_scope(),
            status=filters.status.value if filters.status else None,
            policy_code=filters.policy_code,
            uscc=filters.uscc,
            after=after,
            limit=filters.limit,
        )
        items = [_read(row) for row in rows[: filters.limit]]
        more = len(rows) > filters.limit and items
        return ProjectPage(items=items, next_cursor=CURSOR.encode(items[-1].id) if more else None)


async def project_steps(database: Database, *, project_id: str, actor: Principal) -> StepPage:
    async with UnitOfWork(database) as uow:
        project = await _in_scope(uow, project_id, actor)
        rows = await repository.steps_of(uow.session, project.id)
        return StepPage(items=[StepRead.model_validate(r) for r in rows])


# --- the review chain --------------------------------------------------------------------------


async def _begin(
    uow: UnitOfWork, project_id: str, version: int | None, action: Action, actor: Principal
) -> tuple[SubsidyProject, str, str]:
    """Lock the project in the caller's region, check the version and that ``action`` may move
    it now; the status before and the one to set (by ``_finish``, once every check passed)."""
    project = await _in_scope(uow, project_id, actor, for_update=True)
    expect_version(PROJECT, project_id, current=project.version, sent=version)
    before = project.status
    try:
        target = domain.target_of(action, ProjectStatus(before)).value
    except StepRefused as error:
        raise _refused(error) from None
    return project, before, target


def _not_same(actor: Principal, earlier: str | None, *, step: str, earlier_step: str) -> None:
    try:
        domain.check_not_same_person(actor.subject, earlier, step=step, earlier_step=earlier_step)
    except StepRefused as error:
        raise _refused(error) from None


async def _finish(
    uow: UnitOfWork,
    project: SubsidyProject,
    action: Action,
    before: str,
    target: str,
    actor: Principal,
    *,
    remarks: str | None = None,
    field_remarks: dict[str, str] | None = None,
) -> ProjectRead:
    project.status = target
    _touch(project)
    _step(uow, project, action, before, actor, remarks=remarks, field_remarks=field_remarks)
    await uow.flush()
    read = _read(project)
    await uow.commit()
    return read


async def declare(
    database: Database, *, project_id: str, command: StepCommand, actor: Principal
) -> ProjectRead:
    """申报: the filer sends the project, with its evidence, to the county or 市州. The policy must
    be in force in the enterprise's province today, the enterprise must hold one of its tiers and
    the declared figures must reach its thresholds."""
    today = clock.business_today()
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.DECLARE, actor
        )
        if await repository.evidence_count(uow.session, project.id) == 0:
            raise InvalidInput(
                "evidence_required",
                "Add at least one evidence document before declaring",
                "申报前须至少上传一份证明材料",
                field="evidence",
            )
        policy = _policy(project.policy_code, f"{project.region_code[:2]}0000", today)
        check_holder(policy, await repository.held_tiers(uow.session, project.uscc, today))
        domain.check_declared(
            policy, project.declared_eligible_spend_fen, project.declared_total_investment_fen
        )
        project.policy_version = policy.version
        project.declared_on = today
        project.remarks = {}
        project.attested_by = project.checked_by = project.accepted_by = None
        project.accepted_eligible_spend_fen = project.accepted_total_investment_fen = None
        project.accepted_rate_ratio = None
        project.accepted_amount_fen = project.amount_fen = None
        project.explanation = []
        return await _finish(
            uow, project, Action.DECLARE, before, target, actor, remarks=command.remarks
        )


async def attest(
    database: Database, *, project_id: str, command: StepCommand, actor: Principal
) -> ProjectRead:
    """属地审核: the county or 市州 of the enterprise attests that the declaration is true."""
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.ATTEST, actor
        )
        _not_same(actor, project.filed_by, step="attestation", earlier_step="filing")
        project.attested_by = actor.subject
        return await _finish(
            uow, project, Action.ATTEST, before, target, actor, remarks=command.remarks
        )


async def check_compliance(
    database: Database, *, project_id: str, command: StepCommand, actor: Principal
) -> ProjectRead:
    """省级复核: the province re-checks compliance; never the one who attested or filed it."""
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.CHECK_COMPLIANCE, actor
        )
        _not_same(actor, project.attested_by, step="compliance check", earlier_step="attestation")
        _not_same(actor, project.filed_by, step="compliance check", earlier_step="filing")
        project.checked_by = actor.subject
        return await _finish(
            uow, project, Action.CHECK_COMPLIANCE, before, target, actor, remarks=command.remarks
        )


def _accepted(project: SubsidyProject) -> Accepted:
    assert project.accepted_eligible_spend_fen is not None  # set with spend_accepted
    return Accepted(
        eligible_spend_fen=project.accepted_eligible_spend_fen,
        total_investment_fen=project.accepted_total_investment_fen,
        rate_ratio=project.accepted_rate_ratio,
        amount_fen=project.accepted_amount_fen,
    )


def _policy_of(project: SubsidyProject) -> Policy:
    on = project.declared_on or project.filed_on
    return _policy(project.policy_code, f"{project.region_code[:2]}0000", on)


async def accept_spend(
    database: Database, *, project_id: str, command: Acceptance, actor: Principal
) -> ProjectRead:
    """The province accepts the spend (never more than declared), with a raised rate within the
    policy's maximum or an officer's amount up to its cap; the amount is computed now."""
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.ACCEPT_SPEND, actor
        )
        _not_same(actor, project.attested_by, step="acceptance", earlier_step="attestation")
        _not_same(actor, project.filed_by, step="acceptance", earlier_step="filing")
        if command.eligible_spend_fen > project.declared_eligible_spend_fen:
            raise RuleViolation(
                "accepted_above_declared",
                "The accepted spend cannot exceed the declared spend",
                "核定投入不能高于申报投入",
                field="eligible_spend_fen",
            )
        declared_investment = project.declared_total_investment_fen
        investment = command.total_investment_fen
        if investment is None:
            investment = declared_investment
        elif declared_investment is None or investment > declared_investment:
            raise RuleViolation(
                "accepted_above_declared",
                "The accepted total investment cannot exceed the declared one",
                "核定总投资不能高于申报总投资",
                field="total_investment_fen",
            )
        accepted = Accepted(
            eligible_spend_fen=command.eligible_spend_fen,
            total_investment_fen=investment,
            rate_ratio=command.rate_ratio,
            amount_fen=command.amount_fen,
        )
        decision = domain.amount_for(_policy_of(project), accepted)
        project.accepted_eligible_spend_fen = accepted.eligible_spend_fen
        project.accepted_total_investment_fen = accepted.total_investment_fen
        project.accepted_rate_ratio = accepted.rate_ratio
        project.accepted_amount_fen = accepted.amount_fen
        project.amount_fen = decision.amount_fen
        project.explanation = [asdict(line) for line in decision.explanation]
        project.accepted_by = actor.subject
        return await _finish(
            uow, project, Action.ACCEPT_SPEND, before, target, actor, remarks=command.remarks
        )


async def entitle(
    database: Database, *, project_id: str, command: StepCommand, actor: Principal
) -> ProjectRead:
    """The amount the policy gives for the accepted figures becomes an entitlement (pending
    approval, or blocked while a credit flag is in force), in the same transaction; confirmed
    by a province officer other than the one who accepted the spend."""
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.ENTITLE, actor
        )
        _not_same(actor, project.accepted_by, step="entitlement", earlier_step="acceptance")
        _not_same(actor, project.attested_by, step="entitlement", earlier_step="attestation")
        _not_same(actor, project.filed_by, step="entitlement", earlier_step="filing")
        policy = _policy_of(project)
        decision = domain.amount_for(policy, _accepted(project))
        lines = (
            ExplanationLine(
                "subsidy_project",
                f"补助项目{project.id}（{project.title}）经属地审核、省级复核和投入核定。",
                f"Subsidy project {project.id} ({project.title}), attested, re-checked and "
                f"its spend accepted.",
            ),
            *decision.explanation,
        )
        proposal = EntitlementProposal(
            policy_code=policy.code,
            policy_version=policy.version,
            trigger_key=f"{policy.code}:project:{project.id}",
            payee_kind=PayeeKind.ENTERPRISE,
            payee_id=project.uscc,
            uscc=project.uscc,
            region_code=project.reporting_unit_code,
            fund_code=policy.fund_code,
            amount_fen=decision.amount_fen,
            full_amount_fen=decision.amount_fen,
            explanation=lines,
        )
        flags = entitlements_domain.blocking(
            await entitlements_repository.active_flags(uow.session, project.uscc)
        )
        made = await entitlements_service.create_entitlement(
            uow,
            proposal,
            county_code=project.region_code,
            year=clock.business_today().year,
            blocking_kinds=flags,
            actor=actor.subject,
            remarks=f"subsidy project {project.id}",
        )
        if made is None:  # the project is locked: only a row written outside this module
            raise Conflict(
                "entitlement_exists",
                f"An entitlement for project {project.id} exists already",
                f"项目{project.id}的兑现事项已存在",
                field="project_id",
            )
        project.entitlement_id = made[0]
        project.amount_fen = decision.amount_fen
        project.entitled_by = actor.subject
        return await _finish(
            uow, project, Action.ENTITLE, before, target, actor, remarks=command.remarks
        )


def _check_reviewer(project_status: str, actor: Principal) -> None:
    roles = domain.reviewer_roles(ProjectStatus(project_status))
    if not actor.has_role(*roles):
        raise Forbidden(
            "project_step_forbidden",
            f"A project that is {project_status} is returned or rejected by: {', '.join(roles)}",
            f"状态为 {project_status} 的项目只能由{'、'.join(roles)}退回或驳回",
            field="status",
        )


async def return_project(
    database: Database, *, project_id: str, command: ProjectReturn, actor: Principal
) -> ProjectRead:
    """退回补正: back to the filer with a remark per field; declared again, it starts over."""
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.RETURN, actor
        )
        _check_reviewer(before, actor)
        project.remarks = dict(command.field_remarks)
        return await _finish(
            uow,
            project,
            Action.RETURN,
            before,
            target,
            actor,
            remarks=command.remarks,
            field_remarks=dict(command.field_remarks),
        )


async def reject_project(
    database: Database, *, project_id: str, command: ProjectRejection, actor: Principal
) -> ProjectRead:
    async with UnitOfWork(database) as uow:
        project, before, target = await _begin(
            uow, project_id, command.version, Action.REJECT, actor
        )
        _check_reviewer(before, actor)
        return await _finish(
            uow, project, Action.REJECT, before, target, actor, remarks=command.reason
        )
