"""Raising, changing and lifting credit flags; each change is announced."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.problems import Resource, enterprise_in_scope, not_found, version_conflict
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.flags import domain, repository
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

FLAG = Resource("flag", "credit flag {key}", "信用标记 {key}")


def flag_read(flag: CreditFlag, today: date) -> FlagRead:
    read = FlagRead.model_validate(flag)
    read.active = domain.is_active(flag.started_on, flag.ended_on, today)
    return read


async def _announce(uow: UnitOfWork, flag: CreditFlag, change: str, today: date) -> None:
    flags = await repository.of_enterprise(uow.session, flag.uscc)
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


async def raise_flag(
    database: Database,
    *,
    uscc: str,
    command: FlagCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    now = clock.now()
    today = clock.business_day(now)
    domain.check_period(command.started_on, command.ended_on, today)

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        await enterprise_in_scope(enterprises.get_for_update, uow.session, uscc, actor)
        if command.reference is not None:
            duplicate = await repository.same_flag(
                uow.session,
                uscc=uscc,
                kind=command.kind.value,
                source=command.source,
                reference=command.reference,
            )
            if duplicate is not None:
                raise Conflict(
                    "flag_exists",
                    f"This flag is already recorded as {duplicate}",
                    f"该信用标记已登记（{duplicate}）",
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


CERTIFICATION_BAN_BASIS = "工信厅企业函〔2026〕117号"


def certification_ban_flag_id(certificate_id: str) -> str:
    """The id of the flag a false declaration raises: one per revoked certificate, so that a
    redelivery or a replay from the dead-letter topic finds it already there."""
    return f"flag_certban_{certificate_id}"


async def record_certification_ban(
    uow: UnitOfWork,
    *,
    uscc: str,
    certificate_id: str,
    revoked_on: date,
    banned_until: date | None,
    actor: str,
    at: datetime,
) -> bool:
    """A title withdrawn for false declaration (虚假申报) bars the enterprise from applying for any
    title for 3 years (工信厅企业函〔2026〕117号): recorded as a ``data_falsification`` flag, the kind
    certification's rule sets read for that ban (``data_falsification_ban``), from the revocation
    date. ``banned_until`` is the ban's last day; a flag is in force up to, not including, its
    ``ended_on``, so the flag ends the day after. Without ``banned_until`` the flag stays open
    until an officer sets its end (the contract always sends it with a false declaration).

    Keyed by the certificate: returns False, and announces nothing, when it is already recorded.
    Does not commit."""
    flag_id = certification_ban_flag_id(certificate_id)
    ended_on = banned_until + timedelta(days=1) if banned_until is not None else None
    inserted = await repository.insert_if_absent(
        uow.session,
        id=flag_id,
        uscc=uscc,
        kind=domain.FlagKind.DATA_FALSIFICATION.value,
        source="certification",
        reference=certificate_id,
        started_on=revoked_on,
        ended_on=ended_on,
        note=f"称号因虚假申报被撤销，3年内不得申报（{CERTIFICATION_BAN_BASIS}）",
        version=1,
        recorded_at=at,
        recorded_by=actor,
    )
    if not inserted:
        return False
    flag = await repository.get(uow.session, flag_id)
    assert flag is not None  # just inserted in this transaction
    _keep_revision(uow, flag, "raised")
    await _announce(uow, flag, "raised", clock.business_day(at))
    return True


async def update_flag(
    database: Database, *, uscc: str, flag_id: str, command: FlagUpdate, actor: Principal
) -> FlagRead:
    now = clock.now()
    today = clock.business_day(now)
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get_for_update, uow.session, uscc, actor)
        flag = await repository.get(uow.session, flag_id, for_update=True)
        if flag is None or flag.uscc != uscc:
            raise not_found(FLAG, flag_id, field="flag_id")
        if flag.version != command.version:
            raise version_conflict(FLAG, flag_id, current=flag.version, sent=command.version)
        changes = {k: getattr(command, k) for k in command.model_fields_set if k != "version"}
        domain.check_period(flag.started_on, changes.get("ended_on", flag.ended_on), today)
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
    today = clock.business_today()
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        rows = await repository.of_enterprise(uow.session, uscc)
        return FlagPage(items=[flag_read(r, today) for r in rows])


async def flag_history(
    database: Database, *, uscc: str, flag_id: str, actor: Principal
) -> FlagHistory:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        flag = await repository.get(uow.session, flag_id)
        if flag is None or flag.uscc != uscc:
            raise not_found(FLAG, flag_id, field="flag_id")
        rows = await repository.revisions(uow.session, flag_id)
        return FlagHistory(
            flag_id=flag_id, items=[FlagRevisionRead.model_validate(r) for r in rows]
        )
