"""Public notices (公示) of the applications the province intends to grant, and objections.

The province starts a notice for expert-scored applications of its own (never classified ones:
seed 003 六(一)); its length comes from ``notice_lengths.json``. Anyone may read the running
notices and file an objection during one, without a token; officers may file one on someone's
behalf. Each objection holds the decision on its application until the province resolves it:
upheld → the application is rejected; dismissed → it continues."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sme_certification.applications import domain as application_domain
from sme_certification.applications import service as applications
from sme_certification.applications.domain import ApplicationStatus
from sme_certification.applications.events import APPLICATION_TOPIC, application_event
from sme_certification.applications.models import Application
from sme_certification.batches.models import Batch
from sme_certification.decisions import service as decisions
from sme_certification.notices import domain, lengths, repository
from sme_certification.notices.domain import ObjectionOutcome, ObjectionStatus
from sme_certification.notices.models import Notice, NoticeEntry, Objection
from sme_certification.notices.schemas import (
    NoticeCreate,
    NoticePage,
    NoticeRead,
    ObjectionCreate,
    ObjectionPage,
    ObjectionRead,
    ObjectionReceipt,
    ObjectionResolution,
    PublicEntry,
    PublicNotice,
    PublicNoticeList,
)
from sme_certification.rules.facts import Level, Tier
from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.calendar import CalendarYearUnknown, WorkdayCalendar
from sme_common.contracts.events.certification.models import ApplicationNoticeStartedV1
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, InvalidInput, TooManyRequests
from sme_common.problems import Resource, not_found
from sme_common.rules import RuleViolation

NOTICE = Resource("notice", "notice {key}", "公示 {key}")
OBJECTION = Resource("objection", "objection {key}", "异议 {key}")
PUBLIC_FILER = "public"


def _province_of(actor: Principal) -> str:
    if not actor.region or not actor.region.endswith("0000"):
        raise InvalidInput(
            "province_region_required",
            "A notice is started by a province officer",
            "公示由省级主管部门发布",
            field="region",
        )
    return actor.region


async def _read(uow: UnitOfWork, notice: Notice) -> NoticeRead:
    return NoticeRead(
        id=notice.id,
        province_code=notice.province_code,
        title=notice.title,
        starts_on=notice.starts_on,
        ends_on=notice.ends_on,
        length=notice.length,
        unit=domain.NoticeUnit(notice.unit),
        application_ids=await repository.entry_ids(uow.session, notice.id),
        created_at=notice.created_at,
        created_by=notice.created_by,
    )


def _announce(uow: UnitOfWork, application: Application, batch: Batch, notice: Notice) -> None:
    score = application.expert_score
    uow.publish(
        APPLICATION_TOPIC,
        application_event(
            ApplicationNoticeStartedV1(
                application_id=application.id,
                uscc=application.uscc,
                batch_id=batch.id,
                tier=Tier(batch.tier).value,
                level=Level(batch.level).value,
                notice_id=notice.id,
                starts_on=notice.starts_on,
                ends_on=notice.ends_on,
                length=notice.length,
                unit=domain.NoticeUnit(notice.unit).value,
                expert_score=None if score is None else f"{score:.2f}",
                started_at=notice.created_at,
                version=application.version,
            )
        ),
    )


async def start_notice(
    database: Database, *, command: NoticeCreate, actor: Principal
) -> NoticeRead:
    now = clock.now()
    today = clock.business_day(now)
    province = _province_of(actor)
    starts_on = command.starts_on or today
    if starts_on < today:
        raise RuleViolation(
            "notice_start_in_past",
            f"A notice starts today or later, not on {starts_on}",
            "公示开始日期不得早于今天",
            field="starts_on",
        )
    rule = lengths.for_province(province)
    try:
        ends_on = domain.last_day(starts_on, rule, WorkdayCalendar())
    except CalendarYearUnknown as error:
        raise RuleViolation(
            "calendar_year_unknown",
            f"No working-day schedule is known for {error.year}",
            f"尚未载入 {error.year} 年的节假日安排，无法计算工作日",
            field="starts_on",
        ) from None
    async with UnitOfWork(database) as uow:
        notice = Notice(
            id=f"notice_{secrets.token_hex(8)}",
            province_code=province,
            title=command.title,
            starts_on=starts_on,
            ends_on=ends_on,
            length=rule.length,
            unit=rule.unit.value,
            created_at=now,
            created_by=actor.subject,
        )
        uow.session.add(notice)
        await uow.flush()
        # In id order, so that two notices started at once lock their rows in the same order.
        for application_id in sorted(set(command.application_ids)):
            application = await applications.application_in_scope(
                uow.session, application_id, actor, for_update=True
            )
            try:
                application_domain.check_noticeable(
                    ApplicationStatus(application.status), classified=application.classified
                )
            except application_domain.TransitionNotAllowed as error:
                raise applications.transition_refused(error) from None
            batch = await applications.batch_of(uow.session, application.batch_id)
            from_status = application.status
            application.status = ApplicationStatus.UNDER_NOTICE.value
            applications.record_step(
                uow.session,
                application,
                action="start_notice",
                stage="notice",
                from_status=from_status,
                remarks={"notice": notice.id, "ends_on": ends_on.isoformat()},
                actor=actor,
                at=now,
            )
            uow.session.add(NoticeEntry(notice_id=notice.id, application_id=application.id))
            _announce(uow, application, batch, notice)
        await uow.flush()
        read = await _read(uow, notice)
        await uow.commit()
        return read


async def get_notice(database: Database, *, notice_id: str, actor: Principal) -> NoticeRead:
    async with UnitOfWork(database) as uow:
        notice = await repository.notice(uow.session, notice_id, actor.region_scope())
        if notice is None:
            raise not_found(NOTICE, notice_id, field="notice_id")
        return await _read(uow, notice)


async def list_notices(database: Database, *, actor: Principal) -> NoticePage:
    async with UnitOfWork(database) as uow:
        rows = await repository.notices(uow.session, actor.region_scope())
        return NoticePage(items=[await _read(uow, n) for n in rows])


async def public_notices(database: Database, *, province_code: str | None) -> PublicNoticeList:
    """The notices running today, as the public sees them (no token): enterprise name, USCC,
    title, level and region — never a classified enterprise."""
    today = clock.business_today()
    async with UnitOfWork(database) as uow:
        items = []
        for notice in await repository.running(uow.session, today, province_code):
            entries = [
                PublicEntry(
                    application_id=application.id,
                    enterprise_name=name,
                    uscc=application.uscc,
                    tier=Tier(batch.tier),
                    level=Level(batch.level),
                    region_code=application.region_code,
                )
                for application, batch, name in await repository.public_entries(
                    uow.session, notice.id
                )
            ]
            items.append(
                PublicNotice(
                    id=notice.id,
                    province_code=notice.province_code,
                    title=notice.title,
                    starts_on=notice.starts_on,
                    ends_on=notice.ends_on,
                    entries=entries,
                )
            )
        return PublicNoticeList(items=items)


async def _running_notice(uow: UnitOfWork, notice_id: str, actor: Principal | None) -> Notice:
    notice = await repository.notice(
        uow.session, notice_id, None if actor is None else actor.region_scope()
    )
    if notice is None:
        raise not_found(NOTICE, notice_id, field="notice_id")
    if not domain.is_running(notice.starts_on, notice.ends_on, clock.business_today()):
        raise RuleViolation(
            "notice_not_running",
            f"Objections are taken from {notice.starts_on} through {notice.ends_on}",
            f"异议受理期为 {notice.starts_on} 至 {notice.ends_on}",
            field="notice_id",
        )
    return notice


@dataclass(frozen=True)
class PublicFiler:
    """Who files a public objection, as far as the allowance goes: a keyed fingerprint of the
    client's address and how many that client may file in a rolling day."""

    fingerprint: str
    per_day: int

    @classmethod
    def of(cls, address: str, *, key: bytes, per_day: int) -> PublicFiler:
        digest = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()
        return cls(fingerprint=digest, per_day=per_day)


async def _within_allowance(uow: UnitOfWork, filer: PublicFiler, now: datetime) -> None:
    """A public endpoint without a token must not let one client flood a notice (and the
    officers who must resolve every objection before deciding)."""
    filed = await repository.objections_by_filer_after(
        uow.session, filer.fingerprint, now - timedelta(days=1)
    )
    if len(filed) >= filer.per_day:
        free_at = filed[len(filed) - filer.per_day] + timedelta(days=1)
        raise TooManyRequests(
            "objection_rate_limited",
            f"At most {filer.per_day} objections a day may be filed from one client",
            f"同一来源每日最多提交{filer.per_day}条异议",
            retry_after_s=max(1, math.ceil((free_at - now).total_seconds())),
        )


async def file_objection(
    database: Database,
    *,
    notice_id: str,
    command: ObjectionCreate,
    actor: Principal | None,
    filer: PublicFiler | None = None,
) -> ObjectionReceipt:
    """An objection during the notice, by the public (``actor`` None, counted against the
    ``filer``'s daily allowance) or an officer on someone's behalf (within their region)."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        notice = await _running_notice(uow, notice_id, None)
        if filer is not None:
            await _within_allowance(uow, filer, now)
        if not await repository.in_notice(uow.session, notice.id, command.application_id):
            raise not_found(
                applications.APPLICATION, command.application_id, field="application_id"
            )
        if actor is not None:  # an officer sees only their region's applications
            await applications.application_in_scope(uow.session, command.application_id, actor)
        objection = Objection(
            id=f"obj_{secrets.token_hex(8)}",
            notice_id=notice.id,
            application_id=command.application_id,
            objector_name=command.objector_name,
            contact=command.contact,
            grounds=command.grounds,
            status=ObjectionStatus.OPEN.value,
            filed_at=now,
            filed_by=PUBLIC_FILER if actor is None else actor.subject,
            filer_fingerprint=filer.fingerprint if filer is not None else None,
            resolution=None,
            resolved_at=None,
            resolved_by=None,
        )
        uow.session.add(objection)
        await uow.flush()
        receipt = ObjectionReceipt(
            id=objection.id,
            notice_id=notice.id,
            application_id=objection.application_id,
            status=ObjectionStatus.OPEN,
            filed_at=now,
        )
        await uow.commit()
        return receipt


async def list_objections(database: Database, *, notice_id: str, actor: Principal) -> ObjectionPage:
    async with UnitOfWork(database) as uow:
        notice = await repository.notice(uow.session, notice_id, actor.region_scope())
        if notice is None:
            raise not_found(NOTICE, notice_id, field="notice_id")
        rows = await repository.objections(uow.session, notice.id)
        return ObjectionPage(items=[ObjectionRead.model_validate(r) for r in rows])


async def resolve_objection(
    database: Database, *, objection_id: str, command: ObjectionResolution, actor: Principal
) -> ObjectionRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        objection = await repository.objection(uow.session, objection_id, for_update=True)
        notice = (
            None
            if objection is None
            else await repository.notice(uow.session, objection.notice_id, actor.region_scope())
        )
        if objection is None or notice is None:
            raise not_found(OBJECTION, objection_id, field="objection_id")
        if objection.status != ObjectionStatus.OPEN.value:
            raise Conflict(
                "objection_resolved",
                f"Objection {objection.id} was already {objection.status}",
                f"异议 {objection.id} 已处理",
                field="objection_id",
            )
        application = await applications.application_in_scope(
            uow.session, objection.application_id, actor, for_update=True
        )
        upheld = command.outcome is ObjectionOutcome.UPHELD
        if upheld and application.status == ApplicationStatus.UNDER_NOTICE.value:
            batch = await applications.batch_of(uow.session, application.batch_id)
            await decisions.reject(
                uow,
                application,
                batch,
                reasons={"objection": command.resolution},
                actor=actor,
                by_objection=objection.id,
            )
        objection.status = (ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED).value
        objection.resolution = command.resolution
        objection.resolved_at, objection.resolved_by = now, actor.subject
        await uow.flush()
        read = ObjectionRead.model_validate(objection)
        await uow.commit()
        return read
