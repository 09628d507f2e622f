"""Applications: made for an enterprise in a batch from the facts read model and declared values,
self-assessed, submitted within the window, and taken along the review chain (``domain.py``).
Every change is a new version; a change that names another version than the current one is a 409
``version_conflict`` (two officers deciding at once: the second is refused)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications import domain, repository
from sme_certification.applications.domain import ApplicationStatus, ReviewAction, ReviewerRole
from sme_certification.applications.events import APPLICATION_TOPIC, application_event
from sme_certification.applications.models import Application, ApplicationStep, EvidenceDocument
from sme_certification.applications.schemas import (
    EVIDENCE_TYPES,
    ApplicationCreate,
    ApplicationFilters,
    ApplicationPage,
    ApplicationRead,
    ApplicationUpdate,
    Classification,
    DocumentPage,
    DocumentQuery,
    DocumentRead,
    ReviewDecision,
    StepPage,
    StepRead,
)
from sme_certification.batches import domain as batch_domain
from sme_certification.batches import repository as batches
from sme_certification.batches.domain import BatchStatus
from sme_certification.batches.models import Batch
from sme_certification.batches.service import BATCH
from sme_certification.certificates import service as certificates
from sme_certification.certificates.models import Certificate
from sme_certification.facts import service as facts
from sme_certification.rules.domain import evaluate_application
from sme_certification.rules.explanation import Explanation
from sme_certification.rules.facts import Application as RuleApplication
from sme_certification.rules.facts import ApplicationKind, Level, Tier
from sme_certification.rules.ruleset import NoRuleSet
from sme_common import clock
from sme_common.auth.principal import Principal, Role
from sme_common.contracts.events.certification.models import (
    ApplicationRecommendedV1,
    ApplicationReturnedV1,
    ApplicationSubmittedV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, enterprise_in_scope, expect_version, not_found
from sme_common.rules import RuleViolation
from sme_common.storage import DocumentNotStored, DocumentStorage

APPLICATION = Resource("application", "application {key}", "申请 {key}")
DOCUMENT = Resource("document", "evidence document {key}", "证明材料 {key}")
CURSOR = KeyCursor(re.compile(r"app_[0-9a-f]{16}"), member="a")
_REVIEWER_ROLES = {
    Role.PROVINCE_OFFICER: ReviewerRole.PROVINCE,
    Role.CITY_OFFICER: ReviewerRole.CITY,
    Role.COUNTY_OFFICER: ReviewerRole.COUNTY,
}


def application_read(application: Application, batch: Batch) -> ApplicationRead:
    assessment = application.assessment or {}
    return ApplicationRead(
        id=application.id,
        batch_id=application.batch_id,
        uscc=application.uscc,
        tier=Tier(batch.tier),
        level=Level(batch.level),
        kind=ApplicationKind(application.kind),
        region_code=application.region_code,
        reporting_unit_code=application.reporting_unit_code,
        status=ApplicationStatus(application.status),
        declared=application.declared,
        correction_remarks=application.correction_remarks,
        assessment_outcome=assessment.get("outcome"),
        version=application.version,
        created_at=application.created_at,
        created_by=application.created_by,
        updated_at=application.updated_at,
        updated_by=application.updated_by,
        submitted_at=application.submitted_at,
        classified=application.classified,
        expert_score=application.expert_score,
        decision_reasons=application.decision_reasons,
        certificate_id=application.certificate_id,
    )


# transition_refused, batch_of, application_in_scope, application_at_version and record_step are
# shared with the steps after the provincial review (experts/, notices/, decisions/).


def _check_version(application: Application, sent: int | None) -> None:
    expect_version(APPLICATION, application.id, current=application.version, sent=sent)


def transition_refused(error: domain.TransitionNotAllowed) -> Conflict:
    return Conflict(error.code, error.detail, error.detail_zh, field="action")


def _batch_active(batch: Batch) -> None:
    batch_domain.check_not_closed(BatchStatus(batch.status), batch.id)


async def batch_of(session: AsyncSession, batch_id: str, *, for_update: bool = False) -> Batch:
    batch = await batches.get(session, batch_id, for_update=for_update)
    if batch is None:
        raise not_found(BATCH, batch_id, field="batch_id")
    return batch


async def application_in_scope(
    session: AsyncSession, application_id: str, actor: Principal, *, for_update: bool = False
) -> Application:
    application = await repository.get(
        session, application_id, actor.region_scope(), for_update=for_update
    )
    if application is None:
        raise not_found(APPLICATION, application_id, field="application_id")
    return application


async def application_at_version(
    session: AsyncSession,
    application_id: str,
    actor: Principal,
    version: int | None,
    *,
    lock_batch: bool = False,
) -> tuple[Application, Batch]:
    """The application to change (locked, in the actor's region, at the version the caller read)
    and its batch (locked too with ``lock_batch``)."""
    application = await application_in_scope(session, application_id, actor, for_update=True)
    _check_version(application, version)
    return application, await batch_of(session, application.batch_id, for_update=lock_batch)


def record_step(
    session: AsyncSession,
    application: Application,
    *,
    action: str,
    stage: str | None,
    from_status: str,
    remarks: dict[str, str],
    actor: Principal,
    at: datetime,
) -> None:
    """A change of the application: its next version (who, when) and the step that made it."""
    application.version += 1
    application.updated_at, application.updated_by = at, actor.subject
    _add_step(
        session,
        application,
        action=action,
        stage=stage,
        from_status=from_status,
        remarks=remarks,
        actor=actor,
        at=at,
    )


def _add_step(
    session: AsyncSession,
    application: Application,
    *,
    action: str,
    stage: str | None,
    from_status: str,
    remarks: dict[str, str],
    actor: Principal,
    at: datetime,
) -> None:
    session.add(
        ApplicationStep(
            application_id=application.id,
            action=action,
            stage=stage,
            from_status=from_status,
            to_status=application.status,
            remarks=remarks,
            version=application.version,
            acted_at=at,
            acted_by=actor.subject,
        )
    )


async def evaluate(
    session: AsyncSession, application: Application, batch: Batch, filed_on: date
) -> Explanation:
    """The rule engine on the enterprise's facts as of ``filed_on``: the read model, the titles
    its certificates show (``domain.titles_read``), and the declared values."""
    recorded = await certificates.held_titles(session, application.uscc)
    declared = domain.titles_read(application.declared, recorded)
    facts_input = await facts.evaluation_input_for(session, application.uscc, declared)
    rule_application = RuleApplication(
        Tier(batch.tier),
        ApplicationKind(application.kind),
        Level(batch.level),
        filed_on,
        batch.province_code,
    )
    try:
        return evaluate_application(facts_input, rule_application)
    except NoRuleSet as error:
        raise RuleViolation(error.code, error.detail, error.detail_zh, field="batch_id") from None


def _certificate_tier(batch: Batch) -> tuple[Tier, Level]:
    return Tier(batch.tier), Level(batch.level)


async def _re_review_target(
    session: AsyncSession,
    *,
    kind: ApplicationKind,
    certificate_id: str | None,
    uscc: str,
    batch: Batch,
    on: date,
    for_update: bool = False,
) -> Certificate | None:
    """The certificate a re-review (复核) re-reviews, checked; a new application names none."""
    if kind is not ApplicationKind.RE_REVIEW:
        if certificate_id is not None:
            raise RuleViolation(
                "certificate_id_only_for_re_review",
                "Only a re-review names a certificate",
                "仅复核申请须填写所复核的证书",
                field="certificate_id",
            )
        return None
    if certificate_id is None:
        raise RuleViolation(
            "re_review_certificate_required",
            "A re-review names the certificate it re-reviews (certificate_id)",
            "复核申请须填写所复核的证书（certificate_id）",
            field="certificate_id",
        )
    tier, level = _certificate_tier(batch)
    return await certificates.re_review_target(
        session,
        certificate_id=certificate_id,
        uscc=uscc,
        tier=tier,
        level=level,
        on=on,
        for_update=for_update,
    )


async def create_application(
    database: Database,
    *,
    command: ApplicationCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        session = uow.session
        enterprise = await enterprise_in_scope(directory.get, session, command.uscc, actor)
        batch = await batch_of(session, command.batch_id)
        _batch_active(batch)
        if enterprise.operating_status != "operating":
            raise RuleViolation(
                "enterprise_not_operating",
                f"{command.uscc} is {enterprise.operating_status}, not operating",
                f"企业 {command.uscc} 当前状态为 {enterprise.operating_status}，不能申报",
                field="uscc",
            )
        if enterprise.region_code[:2] != batch.province_code[:2]:
            raise RuleViolation(
                "enterprise_outside_batch_province",
                f"{command.uscc} is not registered in {batch.province_code}",
                f"企业 {command.uscc} 不在批次所属省份 {batch.province_code} 注册",
                field="uscc",
            )
        await _re_review_target(
            session,
            kind=command.kind,
            certificate_id=command.certificate_id,
            uscc=command.uscc,
            batch=batch,
            on=clock.business_day(now),
        )
        existing = await repository.of_enterprise_in_batch(session, batch.id, command.uscc)
        if existing is not None:
            raise Conflict(
                "application_exists",
                f"{command.uscc} already has application {existing.id} in this batch",
                f"企业 {command.uscc} 在本批次已有申请 {existing.id}",
                field="uscc",
            )
        application = Application(
            id=f"app_{secrets.token_hex(8)}",
            batch_id=batch.id,
            uscc=command.uscc,
            kind=command.kind.value,
            region_code=enterprise.region_code,
            reporting_unit_code=enterprise.reporting_unit_code,
            status=ApplicationStatus.DRAFT.value,
            declared=command.declared.as_input(),
            correction_remarks=None,
            assessment=None,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
            submitted_at=None,
            classified=False,
            certificate_id=command.certificate_id,
        )
        # Declared values the engine cannot read are refused now, not at submission.
        await facts.evaluation_input_for(session, application.uscc, application.declared)
        session.add(application)
        await uow.flush()
        _add_step(
            session,
            application,
            action="create",
            stage=None,
            from_status=ApplicationStatus.DRAFT.value,
            remarks={},
            actor=actor,
            at=now,
        )
        return 201, application_read(application, batch).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def get_application(
    database: Database, *, application_id: str, actor: Principal
) -> ApplicationRead:
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(uow.session, application_id, actor)
        batch = await batch_of(uow.session, application.batch_id)
        return application_read(application, batch)


async def list_applications(
    database: Database, *, filters: ApplicationFilters, actor: Principal
) -> ApplicationPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find(uow.session, actor.region_scope(), filters, after=after)
        page, last = split_page(rows, filters.limit)
        batch_cache: dict[str, Batch] = {}
        items = []
        for application in page:
            batch = batch_cache.get(application.batch_id)
            if batch is None:
                batch = batch_cache[application.batch_id] = await batch_of(
                    uow.session, application.batch_id
                )
            items.append(application_read(application, batch))
        return ApplicationPage(
            items=items, next_cursor=None if last is None else CURSOR.encode(last.id)
        )


async def update_declared(
    database: Database, *, application_id: str, command: ApplicationUpdate, actor: Principal
) -> ApplicationRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        application, batch = await application_at_version(
            uow.session, application_id, actor, command.version
        )
        _batch_active(batch)
        try:
            domain.check_editable(ApplicationStatus(application.status))
        except domain.TransitionNotAllowed as error:
            raise transition_refused(error) from None
        declared = command.declared.as_input()
        await facts.evaluation_input_for(uow.session, application.uscc, declared)
        if declared != application.declared:
            application.declared = declared
            record_step(
                uow.session,
                application,
                action="edit",
                stage=None,
                from_status=application.status,
                remarks={},
                actor=actor,
                at=now,
            )
            await uow.commit()
        return application_read(application, batch)


async def self_assess(
    database: Database, *, application_id: str, actor: Principal
) -> dict[str, Any]:
    """The engine's explanation as if filed today; nothing is stored (usable before filing)."""
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(uow.session, application_id, actor)
        batch = await batch_of(uow.session, application.batch_id)
        explanation = await evaluate(uow.session, application, batch, clock.business_today())
        return explanation.to_dict()


async def submit(
    database: Database, *, application_id: str, version: int | None, actor: Principal
) -> ApplicationRead:
    now = clock.now()
    today = clock.business_day(now)
    async with UnitOfWork(database) as uow:
        session = uow.session
        application, batch = await application_at_version(session, application_id, actor, version)
        try:
            resubmission = domain.check_submittable(ApplicationStatus(application.status))
        except domain.TransitionNotAllowed as error:
            raise transition_refused(error) from None
        if resubmission:
            # A correction a reviewer asked for is taken after the window too, while the batch
            # is open (the return invited it); a first filing only within the window.
            _batch_active(batch)
        else:
            batch_domain.check_open_for_filing(
                BatchStatus(batch.status), batch.opens_on, batch.closes_on, today
            )
        target = await _re_review_target(
            session,
            kind=ApplicationKind(application.kind),
            certificate_id=application.certificate_id,
            uscc=application.uscc,
            batch=batch,
            on=today,
            for_update=True,
        )
        if target is not None:  # filing the re-review keeps the title valid until decided
            certificates.file_re_review_of_application(
                target, application_id=application.id, filed_on=today, actor=actor.subject
            )
        explanation = await evaluate(session, application, batch, today)
        from_status = application.status
        application.status = ApplicationStatus.SUBMITTED.value
        application.assessment = explanation.to_dict()
        application.correction_remarks = None
        application.submitted_at = now
        record_step(
            session,
            application,
            action="resubmit" if resubmission else "submit",
            stage=None,
            from_status=from_status,
            remarks={},
            actor=actor,
            at=now,
        )
        uow.publish(
            APPLICATION_TOPIC,
            application_event(
                ApplicationSubmittedV1(
                    application_id=application.id,
                    uscc=application.uscc,
                    batch_id=batch.id,
                    tier=Tier(batch.tier).value,
                    level=Level(batch.level).value,
                    kind=ApplicationKind(application.kind).value,
                    year=batch.year,
                    region_code=application.region_code,
                    reporting_unit_code=application.reporting_unit_code,
                    resubmission=resubmission,
                    submitted_at=now,
                    version=application.version,
                )
            ),
        )
        await uow.commit()
        return application_read(application, batch)


def _reviewer_role(actor: Principal) -> ReviewerRole:
    held = [rank for role, rank in _REVIEWER_ROLES.items() if actor.has_role(role)]
    if not held:  # the route admits officers only; kept for a caller that is not one
        raise Forbidden("role_forbidden", "Only officers review", "仅主管部门工作人员可审核")
    return max(held)


async def decide(
    database: Database, *, application_id: str, decision: ReviewDecision, actor: Principal
) -> ApplicationRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        session = uow.session
        # The batch row is locked before counting, so that two recommendations of one 市州 at
        # once cannot both take its last place.
        application, batch = await application_at_version(
            session, application_id, actor, decision.version, lock_batch=True
        )
        _batch_active(batch)
        try:
            outcome = domain.decide(
                ApplicationStatus(application.status),
                decision.action,
                _reviewer_role(actor),
                registered_at_city_level=application.region_code == application.reporting_unit_code,
                remarks=decision.remarks,
            )
        except domain.TransitionNotAllowed as error:
            raise transition_refused(error) from None
        except domain.StageForbidden as error:
            raise Forbidden(error.code, error.detail, error.detail_zh, field="action") from None
        if decision.action is ReviewAction.RECOMMEND:
            unit = application.reporting_unit_code
            count = await repository.recommended_count(session, batch.id, unit)
            batch_domain.check_below_cap(unit, count, batch.city_caps.get(unit))
        from_status = application.status
        application.status = outcome.to_status.value
        if decision.action is ReviewAction.RETURN:
            application.correction_remarks = dict(decision.remarks)
        record_step(
            session,
            application,
            action=decision.action.value,
            stage=outcome.stage.value,
            from_status=from_status,
            remarks=dict(decision.remarks),
            actor=actor,
            at=now,
        )
        _announce_decision(uow, application, batch, decision, outcome.stage, now)
        await uow.commit()
        return application_read(application, batch)


def _announce_decision(
    uow: UnitOfWork,
    application: Application,
    batch: Batch,
    decision: ReviewDecision,
    stage: domain.ReviewStage,
    at: datetime,
) -> None:
    if decision.action is ReviewAction.RECOMMEND:
        uow.publish(
            APPLICATION_TOPIC,
            application_event(
                ApplicationRecommendedV1(
                    application_id=application.id,
                    uscc=application.uscc,
                    batch_id=batch.id,
                    tier=Tier(batch.tier).value,
                    level=Level(batch.level).value,
                    reporting_unit_code=application.reporting_unit_code,
                    recommended_at=at,
                    version=application.version,
                )
            ),
        )
    elif decision.action is ReviewAction.RETURN:
        uow.publish(
            APPLICATION_TOPIC,
            application_event(
                ApplicationReturnedV1(
                    application_id=application.id,
                    uscc=application.uscc,
                    batch_id=batch.id,
                    tier=Tier(batch.tier).value,
                    stage=stage.value,
                    remarks=dict(decision.remarks),
                    returned_at=at,
                    version=application.version,
                )
            ),
        )


async def application_steps(
    database: Database, *, application_id: str, actor: Principal
) -> StepPage:
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(uow.session, application_id, actor)
        rows = await repository.steps(uow.session, application.id)
        return StepPage(items=[StepRead.model_validate(r) for r in rows])


async def add_document(
    database: Database,
    *,
    application_id: str,
    query: DocumentQuery,
    content_type: str | None,
    content: bytes,
    storage: DocumentStorage,
    actor: Principal,
) -> DocumentRead:
    """Keep an evidence document (content in the storage, metadata here), before filing or while
    returned for correction."""
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
    now = clock.now()
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(
            uow.session, application_id, actor, for_update=True
        )
        batch = await batch_of(uow.session, application.batch_id)
        _batch_active(batch)
        try:
            domain.check_editable(ApplicationStatus(application.status))
        except domain.TransitionNotAllowed as error:
            raise transition_refused(error) from None
        document_id = f"doc_{secrets.token_hex(8)}"
        key = f"applications/{application.id}/{document_id}"
        await storage.put(key, content)
        document = EvidenceDocument(
            id=document_id,
            application_id=application.id,
            field=query.field,
            filename=query.filename,
            content_type=media_type,
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            storage_key=key,
            uploaded_at=now,
            uploaded_by=actor.subject,
        )
        uow.session.add(document)
        await uow.flush()
        read = DocumentRead.model_validate(document)
        await uow.commit()
        return read


async def list_documents(
    database: Database, *, application_id: str, actor: Principal
) -> DocumentPage:
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(uow.session, application_id, actor)
        rows = await repository.documents(uow.session, application.id)
        return DocumentPage(items=[DocumentRead.model_validate(r) for r in rows])


async def document_content(
    database: Database,
    *,
    application_id: str,
    document_id: str,
    storage: DocumentStorage,
    actor: Principal,
) -> tuple[DocumentRead, bytes]:
    async with UnitOfWork(database) as uow:
        application = await application_in_scope(uow.session, application_id, actor)
        document = await repository.document(uow.session, application.id, document_id)
        if document is None:
            raise not_found(DOCUMENT, document_id, field="document_id")
        read, key = DocumentRead.model_validate(document), document.storage_key
    try:
        return read, await storage.get(key)
    except DocumentNotStored:
        raise not_found(DOCUMENT, document_id, field="document_id") from None


async def set_classified(
    database: Database, *, application_id: str, command: Classification, actor: Principal
) -> ApplicationRead:
    """Mark (or unmark) an application as classified (涉密, seed 003 六(一)): it is then reviewed
    without public notice and never shown in a public list. Officers of its region set it, before
    the notice (``domain.CLASSIFIABLE_STATUSES``)."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        application, batch = await application_at_version(
            uow.session, application_id, actor, command.version
        )
        if ApplicationStatus(application.status) not in domain.CLASSIFIABLE_STATUSES:
            raise transition_refused(
                domain.TransitionNotAllowed(ApplicationStatus(application.status), "classify")
            )
        if application.classified != command.classified:
            application.classified = command.classified
            record_step(
                uow.session,
                application,
                action="classify" if command.classified else "declassify",
                stage=None,
                from_status=application.status,
                remarks={},
                actor=actor,
                at=now,
            )
            await uow.commit()
        return application_read(application, batch)
