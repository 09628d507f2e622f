"""The decision (认定 / 不予认定) on an application after its expert scoring and public notice.

A grant makes the certificate through ``certificates.service.grant_certificate`` in the same unit
of work as the application's final status, its step and its events: they commit together or not at
all (a refused grant — a title already in force, a ban — leaves the application as it was).

A re-review (复核) application decides the re-review of the certificate it names instead: a grant
renews that certificate (``certification.certificate.renewed.v1``), a rejection revokes it (failed
re-review), through ``certificates.service.conclude_re_review``."""

from __future__ import annotations

from sme_certification.applications import domain
from sme_certification.applications import service as applications
from sme_certification.applications.domain import ApplicationStatus
from sme_certification.applications.events import APPLICATION_TOPIC, application_event
from sme_certification.applications.models import Application
from sme_certification.applications.schemas import ApplicationRead
from sme_certification.batches.models import Batch
from sme_certification.certificates import service as certificates
from sme_certification.decisions import repository
from sme_certification.decisions.schemas import FinalDecision
from sme_certification.rules.facts import ApplicationKind, Level, Tier
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.contracts.events.certification.models import ApplicationRejectedV1
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, Forbidden
from sme_common.rules import RuleViolation


def _held(error: domain.DecisionHeld) -> Conflict:
    return Conflict(error.code, error.detail, error.detail_zh, field="action")


async def _notice_state(uow: UnitOfWork, application: Application) -> domain.NoticeState | None:
    if application.status != ApplicationStatus.UNDER_NOTICE.value:
        return None
    ends_on = await repository.notice_end_of(uow.session, application.id)
    if ends_on is None:
        return None
    return domain.NoticeState(
        ended=clock.business_today() > ends_on,
        open_objections=await repository.open_objections(uow.session, application.id),
    )


async def _refuse_own_filing(uow: UnitOfWork, application: Application, actor: Principal) -> None:
    """An approver cannot approve what they wrote: whoever made, edited or filed the application
    (an officer filing on an enterprise's behalf) does not decide it."""
    authors = await repository.authors(uow.session, application.id)
    if actor.subject in authors:
        raise Forbidden(
            "approver_is_author",
            "You made, edited or filed this application; another officer decides it",
            "您参与了该申请的填报，须由其他工作人员作出决定",
            field="action",
        )


def _is_re_review(application: Application) -> bool:
    return ApplicationKind(application.kind) is ApplicationKind.RE_REVIEW


def _re_reviewed(application: Application) -> str:
    if application.certificate_id is None:  # made before re-reviews named their certificate
        raise Conflict(
            "re_review_certificate_unknown",
            f"Re-review application {application.id} names no certificate",
            f"复核申请 {application.id} 未关联所复核的证书",
            field="certificate_id",
        )
    return application.certificate_id


async def reject(
    uow: UnitOfWork,
    application: Application,
    batch: Batch,
    *,
    reasons: dict[str, str],
    actor: Principal,
    by_objection: str | None = None,
) -> None:
    """Record a rejection (不予认定) and announce it; the caller has checked the transition. A
    rejected re-review revokes the title it re-reviewed."""
    now = clock.now()
    if _is_re_review(application):
        await certificates.conclude_re_review(
            uow,
            certificate_id=_re_reviewed(application),
            application_id=application.id,
            passed=False,
            on=clock.business_day(now),
            note="复核未通过（re-review application rejected）："
            + "；".join(f"{k}: {v}" for k, v in sorted(reasons.items())),
            actor=actor.subject,
        )
    from_status = application.status
    application.status = ApplicationStatus.REJECTED.value
    application.decision_reasons = dict(reasons)
    applications.record_step(
        uow.session,
        application,
        action="reject",
        stage="decision",
        from_status=from_status,
        remarks=dict(reasons),
        actor=actor,
        at=now,
    )
    uow.publish(
        APPLICATION_TOPIC,
        application_event(
            ApplicationRejectedV1(
                application_id=application.id,
                uscc=application.uscc,
                batch_id=batch.id,
                tier=Tier(batch.tier).value,
                level=Level(batch.level).value,
                reasons=dict(reasons),
                by_objection=by_objection,
                rejected_at=now,
                version=application.version,
            )
        ),
    )


async def decide(
    database: Database,
    *,
    application_id: str,
    command: FinalDecision,
    actor: Principal,
    number_prefix: str,
) -> ApplicationRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        application, batch = await applications.application_at_version(
            uow.session, application_id, actor, command.version
        )
        try:
            to_status = domain.decide_final(
                ApplicationStatus(application.status),
                command.action,
                classified=application.classified,
                notice=await _notice_state(uow, application),
            )
        except domain.TransitionNotAllowed as error:
            raise applications.transition_refused(error) from None
        except domain.DecisionHeld as error:
            raise _held(error) from None
        await _refuse_own_filing(uow, application, actor)
        if to_status is ApplicationStatus.REJECTED:
            if not command.reasons:
                raise RuleViolation(
                    "reasons_required",
                    "Say why the title is not granted: reasons by field",
                    "不予认定须说明理由",
                    field="reasons",
                )
            await reject(uow, application, batch, reasons=command.reasons, actor=actor)
        else:
            remarks: dict[str, str]
            if _is_re_review(application):
                certificate = await certificates.conclude_re_review(
                    uow,
                    certificate_id=_re_reviewed(application),
                    application_id=application.id,
                    passed=True,
                    on=clock.business_day(now),
                    note=None,
                    actor=actor.subject,
                )
                remarks = {
                    "certificate": certificate.number,
                    "renewed_until": certificate.expires_on.isoformat(),
                }
            else:
                certificate = await certificates.grant_certificate(
                    uow,
                    uscc=application.uscc,
                    tier=Tier(batch.tier),
                    level=Level(batch.level),
                    issued_on=clock.business_day(now),
                    application_id=application.id,
                    actor=actor.subject,
                    classified=application.classified,
                    number_prefix=number_prefix,
                )
                remarks = {"certificate": certificate.number}
            from_status = application.status
            application.status = ApplicationStatus.GRANTED.value
            application.certificate_id = certificate.id
            applications.record_step(
                uow.session,
                application,
                action="grant",
                stage="decision",
                from_status=from_status,
                remarks=remarks,
                actor=actor,
                at=now,
            )
        await uow.commit()
        return applications.application_read(application, batch)
