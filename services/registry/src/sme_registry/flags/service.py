"""Raising, changing and lifting credit flags; each change is announced."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import func, select

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork, utcnow
from sme_common.errors import Conflict, InvalidInput, NotFound
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.text import fold
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.enterprises.service import business_today, not_found
from sme_registry.flags import domain
from sme_registry.flags.events import flags_changed
from sme_registry.flags.models import CreditFlag, CreditFlagRevision
from sme_registry.flags.schemas import (
    FlagCreate,
    FlagHistory,
    FlagPage,
    FlagRead,
    FlagRevisionRead,
    FlagUpdate,
)


def flag_read(flag: CreditFlag, today: date) -> FlagRead:
    read = FlagRead.model_validate(flag)
    read.active = domain.is_active(flag.started_on, flag.ended_on, today)
    return read


async def _announce(uow: UnitOfWork, flag: CreditFlag, change: str, today: date) -> None:
    flags = (
        (await uow.session.execute(select(CreditFlag).where(CreditFlag.uscc == flag.uscc)))
        .scalars()
        .all()
    )
    uow.publish(
        ENTERPRISE_TOPIC,
        enterprise_event(
            flags_changed(
                flag.uscc,
                flag_id=flag.id,
                kind=flag.kind,
                change=change,
                started_on=flag.started_on,
                ended_on=flag.ended_on,
                source=flag.source,
                active_flags=(
                    f.kind for f in flags if domain.is_active(f.started_on, f.ended_on, today)
                ),
            )
        ),
    )


def _keep_revision(uow: UnitOfWork, flag: CreditFlag, change: str) -> None:
    """Every version of a flag is kept (the row itself holds only the current one)."""
    uow.session.add(
        CreditFlagRevision(
            flag_id=flag.id,
            version=flag.version,
            change=change,
            kind=flag.kind,
            source=flag.source,
            reference=flag.reference,
            started_on=flag.started_on,
            ended_on=flag.ended_on,
            note=flag.note,
            recorded_at=flag.recorded_at,
            recorded_by=flag.recorded_by,
        )
    )


def _rule_error(exc: domain.FlagRuleError) -> InvalidInput:
    return InvalidInput(exc.code, exc.detail, exc.detail_zh, field=exc.field)


async def raise_flag(
    database: Database,
    *,
    uscc: str,
    command: FlagCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    now = utcnow()
    today = business_today(now)
    try:
        domain.check_period(command.started_on, command.ended_on, today)
    except domain.FlagRuleError as exc:
        raise _rule_error(exc) from exc

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        if await enterprises.get_for_update(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        if command.reference is not None:
            # The same source and reference written another way (全角, case, blanks) is the same
            # flag: compare the folds (sme_fold is the SQL twin of fold).
            duplicate = (
                await uow.session.execute(
                    select(CreditFlag.id).where(
                        CreditFlag.uscc == uscc,
                        CreditFlag.kind == command.kind.value,
                        func.sme_fold(CreditFlag.source) == fold(command.source),
                        func.sme_fold(CreditFlag.reference) == fold(command.reference),
                    )
                )
            ).first()
            if duplicate is not None:
                raise Conflict(
                    "flag_exists",
                    f"This flag is already recorded as {duplicate[0]}",
                    f"该信用标记已登记（{duplicate[0]}）",
                    field="reference",
                )
        flag = CreditFlag(
            id=f"flag_{secrets.token_hex(8)}",
            uscc=uscc,
            kind=command.kind.value,
            source=command.source,
            reference=command.reference,
            started_on=command.started_on,
            ended_on=command.ended_on,
            note=command.note,
            version=1,
            recorded_at=now,
            recorded_by=actor.subject,
        )
        uow.session.add(flag)
        await uow.flush()
        _keep_revision(uow, flag, "raised")
        await _announce(uow, flag, "raised", today)
        return 201, flag_read(flag, today).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


def _flag_not_found(uscc: str, flag_id: str) -> NotFound:
    return NotFound(
        "flag_not_found",
        f"No flag {flag_id} on {uscc}",
        f"该企业没有信用标记 {flag_id}",
        field="flag_id",
    )


async def update_flag(
    database: Database, *, uscc: str, flag_id: str, command: FlagUpdate, actor: Principal
) -> FlagRead:
    now: datetime = utcnow()
    today = business_today(now)
    async with UnitOfWork(database) as uow:
        if await enterprises.get_for_update(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        flag = await uow.session.get(CreditFlag, flag_id, with_for_update=True)
        if flag is None or flag.uscc != uscc:
            raise _flag_not_found(uscc, flag_id)
        if flag.version != command.version:
            raise Conflict(
                "version_conflict",
                f"Flag is at version {flag.version}",
                f"信用标记已被修改（当前版本 {flag.version}）",
                field="version",
                extra={"current_version": flag.version},
            )
        changes = {k: getattr(command, k) for k in command.model_fields_set if k != "version"}
        try:
            domain.check_period(flag.started_on, changes.get("ended_on", flag.ended_on), today)
        except domain.FlagRuleError as exc:
            raise _rule_error(exc) from exc
        changed = {k: v for k, v in changes.items() if getattr(flag, k) != v}
        if not changed:
            return flag_read(flag, today)
        was_active = domain.is_active(flag.started_on, flag.ended_on, today)
        for key, value in changed.items():
            setattr(flag, key, value)
        flag.version += 1
        flag.recorded_at, flag.recorded_by = now, actor.subject
        lifted = was_active and not domain.is_active(flag.started_on, flag.ended_on, today)
        change = "lifted" if lifted else "updated"
        _keep_revision(uow, flag, change)
        await _announce(uow, flag, change, today)
        await uow.commit()
        return flag_read(flag, today)


async def list_flags(database: Database, *, uscc: str, actor: Principal) -> FlagPage:
    today = business_today()
    async with UnitOfWork(database) as uow:
        if await enterprises.get(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        rows = (
            (
                await uow.session.execute(
                    select(CreditFlag)
                    .where(CreditFlag.uscc == uscc)
                    .order_by(CreditFlag.started_on)
                )
            )
            .scalars()
            .all()
        )
        return FlagPage(items=[flag_read(r, today) for r in rows])


async def flag_history(
    database: Database, *, uscc: str, flag_id: str, actor: Principal
) -> FlagHistory:
    async with UnitOfWork(database) as uow:
        if await enterprises.get(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        flag = await uow.session.get(CreditFlag, flag_id)
        if flag is None or flag.uscc != uscc:
            raise _flag_not_found(uscc, flag_id)
        rows = (
            (
                await uow.session.execute(
                    select(CreditFlagRevision)
                    .where(CreditFlagRevision.flag_id == flag_id)
                    .order_by(CreditFlagRevision.version)
                )
            )
            .scalars()
            .all()
        )
        return FlagHistory(
            flag_id=flag_id, items=[FlagRevisionRead.model_validate(r) for r in rows]
        )
