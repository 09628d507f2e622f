"""Certificates: granting (by the decision step, or recorded by a province officer), reading,
the PDF, public verification, re-review, revocation and the lifecycle jobs. Every change is
announced on ``certification.certificate`` in the same transaction."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.certificates import domain, events, repository
from sme_certification.certificates.domain import Action, RevocationReason, Status
from sme_certification.certificates.models import Certificate, ReapplicationBan
from sme_certification.certificates.pdf import PrintedCertificate, render
from sme_certification.certificates.schemas import (
    CertificateFilters,
    CertificatePage,
    CertificateRead,
    CertificateRecord,
    LifecycleReport,
    ReReviewDecision,
    ReReviewFiling,
    Revocation,
    Verification,
)
from sme_certification.rules.facts import Level, Tier
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor
from sme_common.problems import ENTERPRISE, Resource, enterprise_in_scope, not_found
from sme_common.rules import RuleViolation

log = structlog.get_logger(__name__)

CERTIFICATE = Resource("certificate", "certificate {key}", "证书 {key}")
CURSOR = KeyCursor(re.compile(r"^cert_[0-9a-f]{16}$"))
DEFAULT_PREFIX = "GS"
ISSUER = "甘肃省工业和信息化厅"
LIFECYCLE_ACTOR = "job:certificate-lifecycle"
_STATUS_EN = {
    Status.VALID: "valid",
    Status.UNDER_RE_REVIEW: "under re-review",
    Status.EXPIRED: "expired",
    Status.REVOKED: "revoked",
}


# --- reading ----------------------------------------------------------------------------------


async def _read(session: Any, certificate: Certificate, name: str) -> CertificateRead:
    ban = await repository.ban_of_certificate(session, certificate.id)
    return CertificateRead.model_validate(
        {
            **{c: getattr(certificate, c) for c in Certificate.__table__.columns.keys()},
            "enterprise_name": name,
            "in_force": domain.is_in_force(Status(certificate.status)),
            "banned_until": ban.ends_on if ban is not None else None,
        }
    )


async def _in_scope(
    uow: UnitOfWork, certificate_id: str, actor: Principal, *, for_update: bool = False
) -> tuple[Certificate, str]:
    row = await repository.in_scope(
        uow.session, certificate_id, actor.region_scope(), for_update=for_update
    )
    if row is None:
        raise not_found(CERTIFICATE, certificate_id, field="certificate_id")
    return row[0], row[1]


async def get_certificate(
    database: Database, *, certificate_id: str, actor: Principal
) -> CertificateRead:
    async with UnitOfWork(database) as uow:
        certificate, name = await _in_scope(uow, certificate_id, actor)
        return await _read(uow.session, certificate, name)


async def list_certificates(
    database: Database, *, filters: CertificateFilters, actor: Principal
) -> CertificatePage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.page(
            uow.session,
            actor.region_scope(),
            uscc=filters.uscc,
            tier=filters.tier.value if filters.tier else None,
            status=filters.status.value if filters.status else None,
            after=after,
            limit=filters.limit,
        )
        shown = rows[: filters.limit]
        items = [await _read(uow.session, row[0], row[1]) for row in shown]
    next_cursor = CURSOR.encode(items[-1].id) if len(rows) > filters.limit else None
    return CertificatePage(items=items, next_cursor=next_cursor)


async def certificate_pdf(
    database: Database,
    *,
    certificate_id: str,
    actor: Principal,
    font_path: Path,
    font_index: int = 0,
) -> tuple[str, bytes]:
    """(file name, PDF) of a certificate the actor may see."""
    async with UnitOfWork(database) as uow:
        certificate, name = await _in_scope(uow, certificate_id, actor)
        printed = PrintedCertificate(
            number=certificate.number,
            enterprise_name=name,
            uscc=certificate.uscc,
            tier=Tier(certificate.tier),
            level=Level(certificate.level),
            issued_on=certificate.issued_on,
            expires_on=certificate.expires_on,
            verification_code=certificate.verification_code,
            issuer=ISSUER
            if certificate.level == Level.PROVINCIAL
            else "中华人民共和国工业和信息化部",
        )
    return f"{printed.number}.pdf", render(printed, font_path=font_path, font_index=font_index)


CODE_NOT_FOUND = NotFound(
    "verification_code_not_found",
    "No certificate has this verification code",
    "未找到与该验证码对应的证书",
    field="code",
)


async def verify(database: Database, *, code: str) -> Verification:
    """What the public may learn from a verification code. A code that is malformed, unknown, or
    belongs to a classified (涉密) enterprise's certificate gets the same 404."""
    stored = domain.normalised_code(code)
    if stored is None:
        raise CODE_NOT_FOUND
    today = clock.business_today()
    async with database.sessionmaker() as session:
        row = await repository.by_verification_code(session, stored)
        if row is None:
            raise CODE_NOT_FOUND
        certificate, name = row[0], row[1]
        status = Status(certificate.status)
        return Verification(
            number=certificate.number,
            enterprise_name=name,
            tier=Tier(certificate.tier),
            title_zh=domain.TITLES_ZH[Tier(certificate.tier)],
            level=Level(certificate.level),
            issued_on=certificate.issued_on,
            expires_on=certificate.expires_on,
            status=status,
            valid=domain.is_in_force(status) and certificate.issued_on <= today,
            checked_on=today,
        )


# --- granting ---------------------------------------------------------------------------------


async def _number(uow: UnitOfWork, *, prefix: str, tier: Tier, year: int) -> str:
    """The next number of the scheme; one taken by a recorded (存量) certificate is skipped."""
    while True:
        sequence = await repository.next_sequence(
            uow.session, prefix=prefix, tier_code=domain.TIER_CODES[tier], year=year
        )
        number = domain.certificate_number(prefix, tier, year, sequence)
        if not await repository.number_taken(uow.session, number):
            return number


async def _verification_code(uow: UnitOfWork) -> str:
    while True:  # 100 random bits: a repeat is a curiosity, but the column is unique
        code = domain.new_verification_code()
        if not await repository.code_taken(uow.session, code):
            return code


async def grant_certificate(
    uow: UnitOfWork,
    *,
    uscc: str,
    tier: Tier,
    level: Level,
    issued_on: date,
    application_id: str | None,
    actor: str,
    number: str | None = None,
    classified: bool = False,
    number_prefix: str = DEFAULT_PREFIX,
) -> Certificate:
    """Grant a title (认定): the certificate, valid 3 years, announced as granted. The decision
    step calls it with its application; a recorded (存量) title comes without one and may bring
    its existing ``number``. Does not commit. ``actor``: the subject recorded as its author."""
    today = clock.business_today()
    domain.check_issue(issued_on, today)
    if await repository.enterprise_name(uow.session, uscc) is None:
        raise not_found(ENTERPRISE, uscc, field="uscc")
    held = await repository.same_title_in_force(
        uow.session, uscc=uscc, tier=tier.value, level=level.value
    )
    if held is not None:
        raise Conflict(
            "certificate_in_force",
            f"The enterprise already holds this title in force (certificate {held})",
            f"该企业已持有有效的同类证书（{held}）",
            field="tier",
        )
    ban = await repository.active_ban(uow.session, uscc, issued_on)
    if ban is not None:
        raise Conflict(
            "reapplication_banned",
            f"The enterprise may not be granted a title until after {ban.ends_on} ({ban.basis})",
            f"该企业因虚假申报在 {ban.ends_on} 前不得申请认定（{ban.basis}）",
            field="uscc",
        )
    if number is not None and await repository.number_taken(uow.session, number):
        raise Conflict(
            "certificate_number_exists",
            f"Certificate number {number} is already recorded",
            f"证书编号 {number} 已存在",
            field="number",
        )
    certificate = Certificate(
        id=f"cert_{secrets.token_hex(8)}",
        number=number or await _number(uow, prefix=number_prefix, tier=tier, year=issued_on.year),
        uscc=uscc,
        tier=tier.value,
        level=level.value,
        issued_on=issued_on,
        expires_on=domain.last_valid_day(issued_on),
        status=Status.VALID.value,
        verification_code=await _verification_code(uow),
        classified=classified,
        application_id=application_id,
        origin="application" if application_id is not None else "recorded",
        version=1,
        recorded_at=clock.now(),
        recorded_by=actor,
    )
    uow.session.add(certificate)
    await uow.flush()
    uow.publish(
        events.CERTIFICATE_TOPIC,
        events.certificate_event(
            events.granted(
                certificate_id=certificate.id,
                uscc=uscc,
                tier=certificate.tier,
                level=certificate.level,
                number=certificate.number,
                issued_on=certificate.issued_on,
                expires_on=certificate.expires_on,
            )
        ),
    )
    return certificate


async def record_certificate(
    database: Database,
    *,
    command: CertificateRecord,
    actor: Principal,
    idempotency: IdempotencyKey | None,
    number_prefix: str = DEFAULT_PREFIX,
) -> Outcome:
    """A province officer records a title granted before the platform (存量)."""

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        entry = await enterprise_in_scope(directory.get, uow.session, command.uscc, actor)
        certificate = await grant_certificate(
            uow,
            uscc=command.uscc,
            tier=command.tier,
            level=command.level,
            issued_on=command.issued_on,
            application_id=None,
            actor=actor.subject,
            number=command.number,
            classified=command.classified,
            number_prefix=number_prefix,
        )
        read = await _read(uow.session, certificate, entry.name)
        return 201, read.model_dump(mode="json")

    return await run_once(database, idempotency, operation)


# --- transitions ------------------------------------------------------------------------------


def _refuse_unless(certificate: Certificate, action: Action) -> None:
    """An action from a status it cannot start from changes nothing: 409."""
    status = Status(certificate.status)
    if status not in domain.ALLOWED_FROM[action]:
        raise Conflict(
            "certificate_status_conflict",
            f"Certificate {certificate.number} is {_STATUS_EN[status]}: cannot {action.value}",
            f"证书 {certificate.number} 当前状态为{domain.STATUS_ZH[status]}，不能执行该操作",
            field="status",
            extra={"status": status.value},
        )


def _touch(certificate: Certificate, actor: str) -> None:
    certificate.version += 1
    certificate.recorded_at = clock.now()
    certificate.recorded_by = actor


async def revoke(
    uow: UnitOfWork,
    certificate: Certificate,
    *,
    reason: RevocationReason,
    revoked_on: date,
    note: str,
    actor: str,
) -> None:
    """Revoke (撤销) a title in force. A false declaration also bars reapplying for 3 years
    (工信厅企业函〔2026〕117号): the ban is kept here and carried on the event (``banned_until``)
    for registry's credit flags. Does not commit."""
    _refuse_unless(certificate, Action.REVOKE)
    domain.check_day_in_validity(revoked_on, certificate.issued_on, "revoked_on")
    certificate.status = Status.REVOKED.value
    certificate.ended_on = revoked_on
    certificate.revocation_reason = reason.value
    certificate.revocation_note = note
    _touch(certificate, actor)
    banned_until = None
    if reason is RevocationReason.FALSE_DECLARATION:
        banned_until = domain.ban_last_day(revoked_on)
        uow.session.add(
            ReapplicationBan(
                id=f"ban_{secrets.token_hex(8)}",
                uscc=certificate.uscc,
                certificate_id=certificate.id,
                starts_on=revoked_on,
                ends_on=banned_until,
                reason=reason.value,
                basis=domain.BAN_BASIS,
                recorded_at=clock.now(),
                recorded_by=actor,
            )
        )
    await uow.flush()
    uow.publish(
        events.CERTIFICATE_TOPIC,
        events.certificate_event(
            events.revoked(
                certificate_id=certificate.id,
                uscc=certificate.uscc,
                tier=certificate.tier,
                revoked_on=revoked_on,
                reason_code=reason.value,
                banned_until=banned_until,
            )
        ),
    )


Change = Callable[[UnitOfWork, Certificate], Awaitable[None]]


async def _change(
    database: Database, certificate_id: str, actor: Principal, change: Change
) -> CertificateRead:
    """One action on a certificate in the actor's region, under its row lock, in one commit."""
    async with UnitOfWork(database) as uow:
        certificate, name = await _in_scope(uow, certificate_id, actor, for_update=True)
        await change(uow, certificate)
        read = await _read(uow.session, certificate, name)
        await uow.commit()
        return read


async def revoke_certificate(
    database: Database, *, certificate_id: str, command: Revocation, actor: Principal
) -> CertificateRead:
    clock.check_not_future(command.revoked_on, "revoked_on")

    async def change(uow: UnitOfWork, certificate: Certificate) -> None:
        await revoke(
            uow,
            certificate,
            reason=command.reason,
            revoked_on=command.revoked_on,
            note=command.note,
            actor=actor.subject,
        )

    return await _change(database, certificate_id, actor, change)


def _file_re_review(
    certificate: Certificate, *, filed_on: date, application_id: str | None, actor: str
) -> None:
    _refuse_unless(certificate, Action.FILE_RE_REVIEW)
    domain.check_day_in_validity(filed_on, certificate.issued_on, "filed_on")
    if filed_on > certificate.expires_on:
        raise RuleViolation(
            "re_review_filed_late",
            f"the re-review had to be filed by {certificate.expires_on}",
            f"复核材料应在 {certificate.expires_on} 前提交",
            field="filed_on",
        )
    certificate.status = Status.UNDER_RE_REVIEW.value
    certificate.re_review_filed_on = filed_on
    certificate.re_review_application_id = application_id
    _touch(certificate, actor)


async def file_re_review(
    database: Database, *, certificate_id: str, command: ReReviewFiling, actor: Principal
) -> CertificateRead:
    """The holder filed its re-review (复核) materials: the title stays valid until decided."""
    clock.check_not_future(command.filed_on, "filed_on")

    async def change(_uow: UnitOfWork, certificate: Certificate) -> None:
        _file_re_review(
            certificate,
            filed_on=command.filed_on,
            application_id=command.application_id,
            actor=actor.subject,
        )

    return await _change(database, certificate_id, actor, change)


async def _decide_re_review(
    uow: UnitOfWork,
    certificate: Certificate,
    *,
    passed: bool,
    decided_on: date,
    note: str | None,
    actor: str,
) -> None:
    """Passing gives 3 more years from the old last valid day; failing revokes the title."""
    _refuse_unless(certificate, Action.DECIDE_RE_REVIEW)
    if certificate.re_review_filed_on is None:
        raise Conflict(
            "re_review_not_filed",
            "No re-review was filed for this certificate",
            "该证书尚未提交复核材料",
            field="passed",
        )
    domain.check_day_in_validity(decided_on, certificate.issued_on, "decided_on")
    if passed:
        _renew(uow, certificate, on=decided_on, actor=actor)
    else:
        await revoke(
            uow,
            certificate,
            reason=RevocationReason.FAILED_RE_REVIEW,
            revoked_on=decided_on,
            note=note or "复核未通过",
            actor=actor,
        )


async def decide_re_review(
    database: Database, *, certificate_id: str, command: ReReviewDecision, actor: Principal
) -> CertificateRead:
    """An officer records the re-review's outcome (one decided outside the platform's
    applications; a re-review application decides it through ``conclude_re_review``)."""
    clock.check_not_future(command.decided_on, "decided_on")

    async def change(uow: UnitOfWork, certificate: Certificate) -> None:
        await _decide_re_review(
            uow,
            certificate,
            passed=command.passed,
            decided_on=command.decided_on,
            note=command.note,
            actor=actor.subject,
        )

    return await _change(database, certificate_id, actor, change)


# --- for the applications (re-review linkage, held titles) ------------------------------------


async def held_titles(session: AsyncSession, uscc: str) -> list[dict[str, Any]]:
    """The titles ``uscc`` holds or held on the platform, as the rule engine reads them (the JSON
    form of ``rules.facts.HeldTitle``, naming the certificate). A title under re-review counts
    as pending: it stays valid until decided."""
    return [
        {
            "tier": c.tier,
            "level": c.level,
            "issued_on": c.issued_on.isoformat(),
            "expires_on": c.expires_on.isoformat(),
            "revoked_on": c.ended_on.isoformat()
            if c.status == Status.REVOKED and c.ended_on is not None
            else None,
            "re_review_pending": c.status == Status.UNDER_RE_REVIEW,
            "certificate": c.number,
        }
        for c in await repository.of_enterprise(session, uscc)
    ]


RE_REVIEW_CERTIFICATE_NOT_HELD = "re_review_certificate_not_held"


async def re_review_target(
    session: AsyncSession,
    *,
    certificate_id: str,
    uscc: str,
    tier: Tier,
    level: Level,
    on: date,
    for_update: bool = False,
) -> Certificate:
    """The certificate a re-review (复核) application of ``uscc`` re-reviews, checked
    (``domain.check_re_review_target``). Another enterprise's certificate is refused as one that
    does not exist."""
    certificate = await repository.by_id(session, certificate_id, for_update=for_update)
    if certificate is None or certificate.uscc != uscc:
        raise RuleViolation(
            RE_REVIEW_CERTIFICATE_NOT_HELD,
            f"{uscc} holds no certificate {certificate_id}",
            f"企业 {uscc} 未持有证书 {certificate_id}",
            field="certificate_id",
        )
    domain.check_re_review_target(
        number=certificate.number,
        status=Status(certificate.status),
        tier=Tier(certificate.tier),
        level=Level(certificate.level),
        expires_on=certificate.expires_on,
        re_review_filed=certificate.re_review_filed_on is not None,
        wanted_tier=tier,
        wanted_level=level,
        today=on,
    )
    return certificate


def _other_application(certificate: Certificate) -> Conflict:
    return Conflict(
        "re_review_of_another_application",
        f"The re-review of certificate {certificate.number} was filed by application "
        f"{certificate.re_review_application_id}",
        f"证书 {certificate.number} 的复核已由申请 {certificate.re_review_application_id} 提交",
        field="certificate_id",
    )


def file_re_review_of_application(
    certificate: Certificate, *, application_id: str, filed_on: date, actor: str
) -> None:
    """A re-review application was submitted: the re-review of its certificate is filed (the
    title stays valid until decided). A filing recorded earlier without an application is taken
    over; one by another application is refused. Does not commit."""
    if certificate.re_review_filed_on is not None:
        if certificate.re_review_application_id not in (None, application_id):
            raise _other_application(certificate)
        if certificate.re_review_application_id != application_id:
            certificate.re_review_application_id = application_id
            _touch(certificate, actor)
        return
    _file_re_review(certificate, filed_on=filed_on, application_id=application_id, actor=actor)


async def conclude_re_review(
    uow: UnitOfWork,
    *,
    certificate_id: str,
    application_id: str,
    passed: bool,
    on: date,
    note: str | None,
    actor: str,
) -> Certificate:
    """The decision on a re-review application decides its certificate's re-review: a grant
    renews the title (``certification.certificate.renewed.v1``), a rejection revokes it (failed
    re-review). A rejection leaves alone a title no longer under this application's re-review
    (revoked meanwhile, say). Does not commit."""
    certificate = await repository.by_id(uow.session, certificate_id, for_update=True)
    if certificate is None:
        raise not_found(CERTIFICATE, certificate_id, field="certificate_id")
    ours = certificate.re_review_application_id == application_id
    if not passed and not (ours and certificate.status == Status.UNDER_RE_REVIEW):
        return certificate
    if not ours:
        raise _other_application(certificate)
    await _decide_re_review(uow, certificate, passed=passed, decided_on=on, note=note, actor=actor)
    return certificate


def _renew(uow: UnitOfWork, certificate: Certificate, *, on: date, actor: str) -> None:
    certificate.expires_on = domain.renewed_expiry(certificate.expires_on)
    certificate.status = Status.VALID.value
    certificate.renewed_on = on
    certificate.re_review_notified_on = None
    certificate.re_review_filed_on = None
    _touch(certificate, actor)
    uow.publish(
        events.CERTIFICATE_TOPIC,
        events.certificate_event(
            events.renewed(
                certificate_id=certificate.id,
                uscc=certificate.uscc,
                tier=certificate.tier,
                level=certificate.level,
                number=certificate.number,
                renewed_on=on,
                expires_on=certificate.expires_on,
            )
        ),
    )


# --- lifecycle jobs ---------------------------------------------------------------------------


@dataclass
class _Run:
    notified: list[str]
    expired: list[str]
    revoked: list[str]


async def _end_if_past(database: Database, certificate_id: str, today: date, run: _Run) -> None:
    """After its last valid day a certificate not under re-review expires; one whose re-review
    was announced but never filed is revoked (policy-facts §1.6: 未提交复核 → 撤销); one whose
    re-review was filed stays valid until it is decided."""
    async with UnitOfWork(database) as uow:
        certificate = await repository.by_id(uow.session, certificate_id, for_update=True)
        if certificate is None or certificate.expires_on >= today:
            return
        day_after = certificate.expires_on + timedelta(days=1)
        if certificate.status == Status.VALID:
            certificate.status = Status.EXPIRED.value
            certificate.ended_on = day_after
            _touch(certificate, LIFECYCLE_ACTOR)
            uow.publish(
                events.CERTIFICATE_TOPIC,
                events.certificate_event(
                    events.expired(
                        certificate_id=certificate.id,
                        uscc=certificate.uscc,
                        tier=certificate.tier,
                        expired_on=day_after,
                    )
                ),
            )
            run.expired.append(certificate.id)
        elif (
            certificate.status == Status.UNDER_RE_REVIEW and certificate.re_review_filed_on is None
        ):
            await revoke(
                uow,
                certificate,
                reason=RevocationReason.FAILED_RE_REVIEW,
                revoked_on=day_after,
                note="未在有效期内提交复核材料（re-review not filed）",
                actor=LIFECYCLE_ACTOR,
            )
            run.revoked.append(certificate.id)
        else:
            return
        await uow.commit()


async def _notify_if_due(
    database: Database, certificate_id: str, today: date, lead_days: int, run: _Run
) -> None:
    """The expiry alert: the holder must file its re-review by the last valid day; the
    certificate is under re-review from now on and stays valid."""
    async with UnitOfWork(database) as uow:
        certificate = await repository.by_id(uow.session, certificate_id, for_update=True)
        if (
            certificate is None
            or certificate.status != Status.VALID
            or certificate.re_review_notified_on is not None
            or certificate.expires_on < today
            or not domain.due_for_re_review(certificate.expires_on, today, lead_days)
        ):
            return
        certificate.status = Status.UNDER_RE_REVIEW.value
        certificate.re_review_notified_on = today
        _touch(certificate, LIFECYCLE_ACTOR)
        uow.publish(
            events.CERTIFICATE_TOPIC,
            events.certificate_event(
                events.re_review_due(
                    certificate_id=certificate.id,
                    uscc=certificate.uscc,
                    tier=certificate.tier,
                    level=certificate.level,
                    number=certificate.number,
                    expires_on=certificate.expires_on,
                    notified_on=today,
                )
            ),
        )
        run.notified.append(certificate.id)
        await uow.commit()


async def run_lifecycle(database: Database, *, lead_days: int) -> LifecycleReport:
    """What is due on the business day: end what is past its last valid day, then alert what
    expires within ``lead_days``. One transaction per certificate; running it again the same day
    changes nothing."""
    today = clock.business_today()
    run = _Run([], [], [])
    async with database.sessionmaker() as session:
        past = [c.id for c in await repository.past_expiry(session, today=today)]
        due = await repository.due_for_re_review(
            session, notify_until=today + timedelta(days=lead_days)
        )
    for certificate_id in past:
        await _end_if_past(database, certificate_id, today, run)
    for certificate_id in due:
        await _notify_if_due(database, certificate_id, today, lead_days, run)
    if run.notified or run.expired or run.revoked:
        log.info(
            "certificate_lifecycle",
            on=str(today),
            re_review_notified=len(run.notified),
            expired=len(run.expired),
            revoked_unfiled=len(run.revoked),
        )
    return LifecycleReport(
        on=today, re_review_notified=run.notified, expired=run.expired, revoked_unfiled=run.revoked
    )


async def active_ban(uow: UnitOfWork, uscc: str, on: date) -> ReapplicationBan | None:
    """For the application step: the ban on reapplying ``uscc`` is under on ``on``, if any."""
    return await repository.active_ban(uow.session, uscc, on)
