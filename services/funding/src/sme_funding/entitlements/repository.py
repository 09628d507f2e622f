"""Every query of the entitlements module. Region scope goes into the SQL: an entitlement carries
its 市州 (``region_code``), its payee's own region (``county_code``) and, for an enterprise, its
USCC, so ``principal.region_scope().clause(...)`` applies to it directly.

Other modules (approvals, payments, clawback) read and move entitlements through these functions
and ``service.move_status``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, TextClause, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory
from sme_funding.entitlements.models import (
    CertificateRecord,
    CertificateTriggerRecord,
    EnterpriseCredit,
    Entitlement,
    EntitlementStep,
)


def _json(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _insert_rows(table: Any, columns: Sequence[str], tail: str = "") -> TextClause:
    """One multi-row insert for any number of rows, the rows sent as one JSON array: the
    statement is the same whatever their number (prepared once), and the audit's statement
    trigger runs once for all of them (an ``executemany`` would run it once a row)."""
    names = ", ".join(columns)
    return text(
        f"INSERT INTO {table.name} ({names}) SELECT {names} "
        f"FROM jsonb_populate_recordset(NULL::{table.name}, CAST(:rows AS jsonb)) "
        f"WITH ORDINALITY AS r ORDER BY r.ordinality {tail}"
    )


def _rows(rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    return {"rows": json.dumps(list(rows), default=_json, ensure_ascii=False)}


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(Entitlement.county_code, Entitlement.region_code, uscc_col=Entitlement.uscc)


# --- the enterprise's place ---------------------------------------------------------------------


async def directory_entry(session: AsyncSession, uscc: str) -> Row[Any, Any, Any] | None:
    """The enterprise's directory entry (region_code, reporting_unit_code), whatever the caller:
    for the consumers, which act for the platform."""
    query = select(
        enterprise_directory.c.uscc,
        enterprise_directory.c.region_code,
        enterprise_directory.c.reporting_unit_code,
    ).where(enterprise_directory.c.uscc == uscc)
    return (await session.execute(query)).first()


async def directory_entries(
    session: AsyncSession, usccs: Sequence[str]
) -> dict[str, Row[Any, Any, Any]]:
    """``directory_entry`` of many enterprises at once, by USCC (the unknown ones missing)."""
    query = select(
        enterprise_directory.c.uscc,
        enterprise_directory.c.region_code,
        enterprise_directory.c.reporting_unit_code,
    ).where(enterprise_directory.c.uscc.in_(usccs))
    return {row.uscc: row for row in await session.execute(query)}


# --- certificates -------------------------------------------------------------------------------


async def certificates_for_update(
    session: AsyncSession, certificate_ids: Sequence[str]
) -> dict[str, CertificateRecord]:
    """The recorded ones among ``certificate_ids``, locked, by id."""
    query = (
        select(CertificateRecord)
        .where(CertificateRecord.certificate_id.in_(certificate_ids))
        .order_by(CertificateRecord.certificate_id)
        .with_for_update()
    )
    return {c.certificate_id: c for c in await session.scalars(query)}


_CERTIFICATE_COLUMNS = [c.name for c in CertificateRecord.__table__.columns]
_INSERT_CERTIFICATES = _insert_rows(CertificateRecord.__table__, _CERTIFICATE_COLUMNS)


async def add_certificates(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Record new certificates (one multi-row insert; every column given)."""
    if rows:
        await session.execute(_INSERT_CERTIFICATES, _rows(rows))


async def certificates_of_many(
    session: AsyncSession, usccs: Sequence[str]
) -> dict[str, list[CertificateRecord]]:
    """Every certificate of each enterprise, any status, oldest first, by USCC."""
    query = (
        select(CertificateRecord)
        .where(CertificateRecord.uscc.in_(usccs))
        .order_by(CertificateRecord.issued_on, CertificateRecord.certificate_id)
    )
    out: dict[str, list[CertificateRecord]] = {}
    for record in await session.scalars(query):
        out.setdefault(record.uscc, []).append(record)
    return out


async def record_triggers(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """``record_trigger`` for many (of distinct certificates): the certificate ids whose trigger
    was new (the others are replays)."""
    if not rows:
        return set()
    return set((await session.execute(_INSERT_TRIGGERS, _rows(rows))).scalars())


_INSERT_TRIGGERS = _insert_rows(
    CertificateTriggerRecord.__table__,
    ["certificate_id", "kind", "occurred_on", "uscc", "status", "recorded_at", "evaluated_at"],
    "ON CONFLICT DO NOTHING RETURNING certificate_id",
)


async def certificate(
    session: AsyncSession, certificate_id: str, *, for_update: bool = False
) -> CertificateRecord | None:
    return await session.get(CertificateRecord, certificate_id, with_for_update=for_update)


async def add_certificate(session: AsyncSession, record: CertificateRecord) -> None:
    session.add(record)
    await session.flush()


async def certificates_of(
    session: AsyncSession, uscc: str, *, excluding: str
) -> Sequence[CertificateRecord]:
    """The enterprise's other certificates, any status, oldest first."""
    query = select(CertificateRecord).where(
        CertificateRecord.uscc == uscc, CertificateRecord.certificate_id != excluding
    )
    return (
        await session.scalars(
            query.order_by(CertificateRecord.issued_on, CertificateRecord.certificate_id)
        )
    ).all()


async def record_trigger(
    session: AsyncSession,
    *,
    certificate_id: str,
    kind: str,
    occurred_on: date,
    uscc: str,
    status: str,
    at: datetime,
) -> bool:
    """Record a trigger once; False when it was already recorded (a replay)."""
    statement = (
        pg_insert(CertificateTriggerRecord)
        .values(
            certificate_id=certificate_id,
            kind=kind,
            occurred_on=occurred_on,
            uscc=uscc,
            status=status,
            recorded_at=at,
        )
        .on_conflict_do_nothing()
        .returning(CertificateTriggerRecord.certificate_id)
    )
    return (await session.execute(statement)).first() is not None


async def triggers_awaiting(
    session: AsyncSession, *, status: str, uscc: str | None = None, known_only: bool = False
) -> Sequence[CertificateTriggerRecord]:
    """Triggers in ``status`` (of one enterprise, or those whose enterprise the directory now
    knows), oldest first, locked so that two sweeps never evaluate the same one."""
    query = select(CertificateTriggerRecord).where(CertificateTriggerRecord.status == status)
    if uscc is not None:
        query = query.where(CertificateTriggerRecord.uscc == uscc)
    if known_only:
        query = query.where(
            select(enterprise_directory.c.uscc)
            .where(enterprise_directory.c.uscc == CertificateTriggerRecord.uscc)
            .exists()
        )
    query = query.order_by(
        CertificateTriggerRecord.recorded_at,
        CertificateTriggerRecord.certificate_id,
        CertificateTriggerRecord.occurred_on,
    ).with_for_update(skip_locked=True)
    return (await session.scalars(query)).all()


# --- credit -------------------------------------------------------------------------------------


async def active_flags_of(session: AsyncSession, usccs: Sequence[str]) -> dict[str, list[str]]:
    """``active_flags`` of many enterprises, by USCC (those with none recorded missing)."""
    query = select(EnterpriseCredit.uscc, EnterpriseCredit.active_flags).where(
        EnterpriseCredit.uscc.in_(usccs)
    )
    return {row.uscc: list(row.active_flags) for row in await session.execute(query)}


async def active_flags(session: AsyncSession, uscc: str) -> list[str]:
    credit = await session.get(EnterpriseCredit, uscc)
    return [] if credit is None else list(credit.active_flags)


async def record_credit(
    session: AsyncSession, *, uscc: str, active_flags: list[str], at: datetime
) -> None:
    """The flags in force after registry's latest change (one key per enterprise: in order)."""
    statement = pg_insert(EnterpriseCredit).values(
        uscc=uscc, active_flags=active_flags, updated_at=at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["uscc"],
            set_={"active_flags": statement.excluded.active_flags, "updated_at": at},
        )
    )


# --- entitlements -------------------------------------------------------------------------------


async def insert_once(session: AsyncSession, values: dict[str, Any]) -> str | None:
    """Insert an entitlement unless one with its ``trigger_key`` exists; its id, or None."""
    statement = (
        pg_insert(Entitlement)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["trigger_key"])
        .returning(Entitlement.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def insert_many_once(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[str]:
    """``insert_once`` for many (one multi-row insert): the ids of those inserted."""
    if not rows:
        return set()
    return set((await session.execute(_INSERT_ENTITLEMENTS, _rows(rows))).scalars())


_INSERT_ENTITLEMENTS = _insert_rows(
    Entitlement.__table__,
    [c.name for c in Entitlement.__table__.columns],
    "ON CONFLICT (trigger_key) DO NOTHING RETURNING id",
)
_INSERT_STEPS = _insert_rows(
    EntitlementStep.__table__,
    ["entitlement_id", "from_status", "to_status", "actor", "at", "remarks"],
)


async def add_steps(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """First steps of many entitlements (one multi-row insert, in order)."""
    if rows:
        await session.execute(_INSERT_STEPS, _rows(rows))


async def add_step(
    session: AsyncSession,
    *,
    entitlement_id: str,
    from_status: str | None,
    to_status: str,
    actor: str,
    at: datetime,
    remarks: str | None = None,
) -> None:
    session.add(
        EntitlementStep(
            entitlement_id=entitlement_id,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            at=at,
            remarks=remarks,
        )
    )
    await session.flush()


async def by_id(
    session: AsyncSession, entitlement_id: str, *, for_update: bool = False
) -> Entitlement | None:
    return await session.get(Entitlement, entitlement_id, with_for_update=for_update)


async def in_scope(
    session: AsyncSession, entitlement_id: str, scope: RegionScope, *, for_update: bool = False
) -> Entitlement | None:
    query = select(Entitlement).where(Entitlement.id == entitlement_id, _in_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def steps_of(session: AsyncSession, entitlement_id: str) -> Sequence[EntitlementStep]:
    query = select(EntitlementStep).where(EntitlementStep.entitlement_id == entitlement_id)
    return (await session.scalars(query.order_by(EntitlementStep.id))).all()


@dataclass(frozen=True)
class EntitlementQuery:
    status: str | None = None
    policy_code: str | None = None
    uscc: str | None = None
    region_code: str | None = None
    year: int | None = None
    certificate_id: str | None = None


async def page(
    session: AsyncSession,
    scope: RegionScope,
    where: EntitlementQuery,
    *,
    after: str | None,
    limit: int,
) -> Sequence[Entitlement]:
    """Up to ``limit + 1`` entitlements in scope after the id ``after``, in id order."""
    query = select(Entitlement).where(_in_scope(scope))
    if where.status is not None:
        query = query.where(Entitlement.status == where.status)
    if where.policy_code is not None:
        query = query.where(Entitlement.policy_code == where.policy_code)
    if where.uscc is not None:
        query = query.where(Entitlement.uscc == where.uscc)
    if where.region_code is not None:
        query = query.where(Entitlement.region_code == where.region_code)
    if where.year is not None:
        query = query.where(Entitlement.year == where.year)
    if where.certificate_id is not None:
        query = query.where(Entitlement.certificate_id == where.certificate_id)
    if after is not None:
        query = query.where(Entitlement.id > after)
    return (await session.scalars(query.order_by(Entitlement.id).limit(limit + 1))).all()


async def of_payees(session: AsyncSession, usccs: Sequence[str]) -> dict[str, list[Entitlement]]:
    """``of_payee`` of many enterprises, by USCC."""
    query = (
        select(Entitlement)
        .where(Entitlement.uscc.in_(usccs))
        .order_by(Entitlement.created_at, Entitlement.id)
    )
    out: dict[str, list[Entitlement]] = {}
    for entitlement in await session.scalars(query):
        out.setdefault(entitlement.uscc or "", []).append(entitlement)
    return out


async def of_payee(session: AsyncSession, uscc: str) -> Sequence[Entitlement]:
    """Every entitlement of an enterprise (any status), oldest first: the award history."""
    query = select(Entitlement).where(Entitlement.uscc == uscc)
    return (await session.scalars(query.order_by(Entitlement.created_at, Entitlement.id))).all()


async def entitlements_caused_by(
    session: AsyncSession, certificate_id: str, *, for_update: bool = False
) -> Sequence[Entitlement]:
    """The entitlements a certificate's grant or renewals created (for clawback), oldest first."""
    query = select(Entitlement).where(Entitlement.certificate_id == certificate_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query.order_by(Entitlement.created_at, Entitlement.id))).all()


async def of_enterprise_in_status(
    session: AsyncSession, uscc: str, status: str
) -> Sequence[Entitlement]:
    """An enterprise's entitlements in one status, locked for a status change."""
    query = (
        select(Entitlement)
        .where(Entitlement.uscc == uscc, Entitlement.status == status)
        .order_by(Entitlement.id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def set_status(
    session: AsyncSession,
    entitlement: Entitlement,
    *,
    status: str,
    blocked_reason: list[str] | None,
    at: datetime,
) -> None:
    await session.execute(
        update(Entitlement)
        .where(Entitlement.id == entitlement.id)
        .values(
            status=status,
            blocked_reason=blocked_reason,
            updated_at=at,
            version=Entitlement.version + 1,
        )
    )
    await session.refresh(entitlement)


async def refresh_blocked_reason(
    session: AsyncSession, uscc: str, kinds: list[str], *, at: datetime
) -> None:
    """The blocking kinds in force changed while an enterprise's entitlements stay blocked."""
    await session.execute(
        update(Entitlement)
        .where(
            Entitlement.uscc == uscc,
            Entitlement.status == "blocked",
            Entitlement.blocked_reason.is_distinct_from(kinds),
        )
        .values(blocked_reason=kinds, updated_at=at, version=Entitlement.version + 1)
    )
