"""Use cases on enterprises. Each owns its transaction; routes and consumers call these."""

from __future__ import annotations

import base64
import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork, utcnow
from sme_common.errors import Conflict, Forbidden, InvalidInput, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_common.text import TextError, clean_text, fold
from sme_registry.enterprises import domain, repository
from sme_registry.enterprises.events import (
    ENTERPRISE_TOPIC,
    enterprise_registered,
    enterprise_updated,
)
from sme_registry.enterprises.models import Enterprise, EnterpriseRevision
from sme_registry.enterprises.schemas import (
    USCC_PATTERN,
    ChangeEntry,
    ChangePage,
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseUpdate,
    RevisionPage,
    RevisionRead,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
USCC_SHAPE = re.compile(USCC_PATTERN)
EDITABLE = (
    "name",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
)


def business_today(now: datetime | None = None) -> date:
    """Business dates are Asia/Shanghai dates (architecture.md: time)."""
    return (now or utcnow()).astimezone(SHANGHAI).date()


def end_of_business_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def not_found(uscc: str) -> NotFound:
    return NotFound(
        "enterprise_not_found",
        f"No enterprise {uscc} in your region",
        f"您的辖区内没有该企业：{uscc}",
        field="uscc",
    )


def _rule_error(exc: domain.EnterpriseRuleError) -> InvalidInput:
    return InvalidInput(exc.code, exc.detail, exc.detail_zh, field=exc.field)


def snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return EnterpriseRead.model_validate(enterprise).model_dump(mode="json")


def record_revision(
    uow: UnitOfWork, enterprise: Enterprise, change_type: str, actor: str, at: datetime
) -> None:
    """Keep this version of the enterprise (history and as-of reads). Call after every change."""
    uow.session.add(
        EnterpriseRevision(
            uscc=enterprise.uscc,
            version=enterprise.version,
            change_type=change_type,
            snapshot=snapshot(enterprise),
            recorded_at=at,
            recorded_by=actor,
        )
    )


def bump(enterprise: Enterprise, actor: str, at: datetime) -> None:
    enterprise.version += 1
    enterprise.updated_at = at
    enterprise.updated_by = actor


async def register_enterprise(
    database: Database,
    *,
    command: EnterpriseCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """Enter a new enterprise in the register and announce it (registry.enterprise.registered.v1)."""
    now = utcnow()
    try:
        identity = domain.identify(
            uscc=command.uscc,
            region_code=command.region_code,
            reporting_unit_code=command.reporting_unit_code,
            industry_code=command.industry_code,
            founded_on=command.founded_on,
            today=business_today(now),
            regions=RegionCatalog.load(),
            industries=IndustryCatalog.load(),
        )
    except domain.EnterpriseRuleError as exc:
        raise _rule_error(exc) from exc
    if not actor.region_scope().covers(identity.region_code, identity.reporting_unit.code):
        raise Forbidden(
            "region_forbidden",
            "You may register enterprises only in your own region",
            "只能登记本辖区内的企业",
            field="region_code",
        )

    exists = Conflict(
        "enterprise_exists",
        f"Enterprise {identity.uscc} is already registered",
        f"企业 {identity.uscc} 已登记",
        field="uscc",
    )

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        if await repository.exists_uscc(uow.session, identity.uscc):
            raise exists
        enterprise = Enterprise(
            uscc=identity.uscc,
            name=command.name,
            former_names=[],
            legal_representative=command.legal_representative,
            region_code=identity.region_code,
            reporting_unit_code=identity.reporting_unit.code,
            industry_code=identity.industry_code,
            founded_on=command.founded_on,
            operating_status=command.operating_status.value,
            version=1,
            created_at=now,
            updated_at=now,
            created_by=actor.subject,
            updated_by=actor.subject,
        )
        uow.session.add(enterprise)
        try:
            await uow.flush()
        except IntegrityError as exc:
            # Two registrations of one USCC at once: both passed the check above, the primary key
            # lets one in; the other is the same conflict, not a server error.
            if repository.is_duplicate_enterprise(exc):
                raise exists from exc
            raise
        record_revision(uow, enterprise, "registered", actor.subject, now)
        uow.publish(ENTERPRISE_TOPIC, enterprise_registered(enterprise))
        return 201, snapshot(enterprise)

    return await run_once(database, idempotency, operation)


async def update_enterprise(
    database: Database, *, uscc: str, command: EnterpriseUpdate, actor: Principal
) -> EnterpriseRead:
    """Change register data under optimistic locking; an unchanged update changes nothing."""
    now = utcnow()
    regions, industries = RegionCatalog.load(), IndustryCatalog.load()
    async with UnitOfWork(database) as uow:
        enterprise = await repository.get_for_update(uow.session, uscc, actor.region_scope())
        if enterprise is None:
            raise not_found(uscc)
        if enterprise.version != command.version:
            raise Conflict(
                "version_conflict",
                f"Enterprise {uscc} is at version {enterprise.version}, not {command.version}",
                f"企业信息已被修改（当前版本 {enterprise.version}），请重新读取后再提交",
                field="version",
                extra={"current_version": enterprise.version},
            )
        wanted = {k: getattr(command, k) for k in command.model_fields_set if k in EDITABLE}
        try:
            changes = _changes(enterprise, wanted, regions, industries, business_today(now))
        except domain.EnterpriseRuleError as exc:
            raise _rule_error(exc) from exc
        if not changes:
            return EnterpriseRead.model_validate(enterprise)
        new_region = changes.get("region_code", enterprise.region_code)
        new_unit = changes.get("reporting_unit_code", enterprise.reporting_unit_code)
        if not actor.region_scope().covers(new_region, new_unit):
            raise Forbidden(
                "region_forbidden",
                "The new region is outside your own",
                "变更后的行政区划不在您的辖区内",
                field="region_code",
            )
        if "name" in changes:
            enterprise.former_names = [
                *enterprise.former_names,
                {"name": enterprise.name, "until": business_today(now).isoformat()},
            ]
        for field, value in changes.items():
            setattr(enterprise, field, value)
        bump(enterprise, actor.subject, now)
        record_revision(uow, enterprise, "updated", actor.subject, now)
        uow.publish(ENTERPRISE_TOPIC, enterprise_updated(enterprise, sorted(changes)))
        if "industry_code" in changes:
            from sme_registry.sizing.service import reclassify

            await reclassify(uow, enterprise, actor=actor.subject, at=now)
        await uow.commit()
        return EnterpriseRead.model_validate(enterprise)


def _changes(
    enterprise: Enterprise,
    wanted: dict[str, Any],
    regions: RegionCatalog,
    industries: IndustryCatalog,
    today: date,
) -> dict[str, Any]:
    if "name" in wanted and wanted["name"] is None:
        raise domain.EnterpriseRuleError(
            "name_required", "name", "name cannot be removed", "企业名称不能为空"
        )
    if "region_code" in wanted or "reporting_unit_code" in wanted:
        region = wanted.get("region_code") or enterprise.region_code
        domain.check_region(region, regions, on=today)
        requested_unit = wanted.get("reporting_unit_code")
        if "region_code" not in wanted and requested_unit is None:
            requested_unit = None
        unit = domain.resolve_reporting_unit(region, requested_unit, regions)
        wanted = {**wanted, "region_code": region, "reporting_unit_code": unit.code}
    if wanted.get("industry_code") is not None:
        wanted["industry_code"], _section = domain.check_industry(
            wanted["industry_code"], industries
        )
    if "founded_on" in wanted:
        domain.check_founding(wanted["founded_on"], today)
    if "operating_status" in wanted and wanted["operating_status"] is not None:
        wanted["operating_status"] = wanted["operating_status"].value
    elif "operating_status" in wanted:
        raise domain.EnterpriseRuleError(
            "operating_status_required",
            "operating_status",
            "operating status cannot be removed",
            "经营状态不能为空",
        )
    return {k: v for k, v in wanted.items() if getattr(enterprise, k) != v}


def check_not_future(day: date, field: str) -> None:
    """As-of reads answer for days that have ended or are under way; a later day has no answer yet
    (and 9999-12-31 has no next midnight to read up to)."""
    today = business_today()
    if day > today:
        raise InvalidInput(
            f"{field}_in_future",
            f"{field} {day} is after today ({today}, Asia/Shanghai)",
            f"{field} 不能晚于今天（{today}）",
            field=field,
        )


async def get_enterprise(
    database: Database, *, uscc: str, actor: Principal, as_of: date | None = None
) -> EnterpriseRead:
    if as_of is None:
        # The hot path (agency systems look enterprises up one by one): one statement, one trip.
        async with database.reading() as reader:
            row = await repository.current_row(reader, uscc, actor.region_scope())
        if row is None:
            raise not_found(uscc)
        return EnterpriseRead.model_validate(dict(row))
    check_not_future(as_of, "as_of")
    async with UnitOfWork(database) as uow:
        enterprise = await repository.get(uow.session, uscc, actor.region_scope())
        if enterprise is None:
            raise not_found(uscc)
        revision = await repository.revision_as_of(uow.session, uscc, end_of_business_day(as_of))
        if revision is None:
            raise NotFound(
                "enterprise_not_registered_then",
                f"Enterprise {uscc} was not yet registered on {as_of}",
                f"企业 {uscc} 在 {as_of} 尚未登记",
                field="as_of",
            )
        return EnterpriseRead.model_validate(revision.snapshot)


async def enterprise_history(database: Database, *, uscc: str, actor: Principal) -> RevisionPage:
    async with UnitOfWork(database) as uow:
        if await repository.get(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        revisions = await repository.revisions(uow.session, uscc)
        return RevisionPage(items=[RevisionRead.model_validate(r) for r in revisions])


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


MAX_POSITION = 2**63 - 1  # feed positions are PostgreSQL bigints


def cursor_invalid() -> InvalidInput:
    return InvalidInput("cursor_invalid", "cursor is not one we issued", "游标无效", field="cursor")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The JSON object inside a cursor; anything else (not base64, not JSON, not an object) is a 422."""
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except ValueError:  # binascii.Error, UnicodeError and JSONDecodeError are all ValueErrors
        value = None
    if not isinstance(value, dict):
        raise cursor_invalid()
    return value


def search_after(cursor: str | None) -> str | None:
    """The last USCC of the previous page; a cursor of any other shape is refused, never guessed."""
    if cursor is None:
        return None
    after = decode_cursor(cursor).get("u")
    if not isinstance(after, str) or not USCC_SHAPE.match(after):
        raise cursor_invalid()
    return after


def feed_after(cursor: str | None) -> int:
    """The last feed position the caller saw (0 before the first)."""
    if cursor is None:
        return 0
    position = decode_cursor(cursor).get("p")
    # bool is an int in Python; floats and strings are not positions; nor is anything beyond bigint.
    if type(position) is not int or not 0 <= position <= MAX_POSITION:
        raise cursor_invalid()
    return position


def search_text(q: str | None) -> str | None:
    """The name fragment a search compares: clean (no control or format characters), then folded
    (NFKC, case, blanks) like the stored names it is compared with."""
    if q is None:
        return None
    try:
        folded = fold(clean_text(q))
    except TextError as exc:
        raise InvalidInput(exc.code, exc.detail, exc.detail_zh, field="q") from exc
    if len(folded) < 2:
        raise InvalidInput(
            "q_too_short",
            "q needs at least two characters besides blanks",
            "名称关键字至少需要两个字符（不含空格）",
            field="q",
        )
    return folded


async def search_enterprises(
    database: Database,
    *,
    actor: Principal,
    filters: repository.EnterpriseFilters,
    limit: int,
    cursor: str | None,
) -> EnterprisePage:
    after = search_after(cursor)
    async with UnitOfWork(database) as uow:
        rows, next_key = await repository.search(
            uow.session,
            actor.region_scope(),
            filters,
            limit=limit,
            after=after,
            today=business_today(),
        )
        return EnterprisePage(
            items=[EnterpriseRead.model_validate(r) for r in rows],
            next_cursor=encode_cursor(next_key) if next_key else None,
        )


CHANGE_TYPES = {
    "registry.enterprise.registered.v1": "registered",
    "registry.enterprise.updated.v1": "updated",
    "registry.enterprise.facts-filed.v1": "facts_filed",
    "registry.enterprise.size-class-changed.v1": "size_class_changed",
    "registry.enterprise.pool-changed.v1": "pool_changed",
    "registry.enterprise.flags-changed.v1": "flags_changed",
}


async def changes(
    database: Database,
    *,
    actor: Principal,
    cursor: str | None,
    limit: int,
    updated_since: datetime | None,
) -> ChangePage:
    """Typed changes in commit order, resumable from any cursor the caller kept."""
    position = feed_after(cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.changes(
            uow.session,
            actor.region_scope(),
            after_position=position,
            limit=limit,
            since=updated_since,
            event_types=list(CHANGE_TYPES),
        )
    items = [
        ChangeEntry(
            position=row.feed_position,
            type=CHANGE_TYPES[row.event_type],
            uscc=row.key,
            occurred_at=row.created_at,
            event_id=row.event_id,
            data=json.loads(row.payload),
            region_code_before=row.region_code_before,
            reporting_unit_code_before=row.reporting_unit_code_before,
            region_code_after=row.region_code_after,
            reporting_unit_code_after=row.reporting_unit_code_after,
        )
        for row in rows
    ]
    last = items[-1].position if items else position
    return ChangePage(items=items, next_cursor=encode_cursor({"p": last}))
