"""Enterprise push (名单和信贷产品目录推送给专精特新企业, seed 000 (十三)): every enterprise holding a
valid title is pushed, once per period, its own list entry, the institutions whose snapshots of
the period include it and the credit products it is eligible for; on the schedule of the bank
snapshots (``lists/worker.py`` runs ``publish_due`` after theirs) and on demand by the province.

Reads: an enterprise its own pushes (every read logged), officers those of their region. The
enterprise acknowledges a push (its read receipt, once)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, RegionScope, Role
from sme_common.contracts.events.finance_matching.models import EnterprisePushPublishedV1
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import PositionCursor, split_page
from sme_common.problems import Resource, enterprise_in_scope, not_found
from sme_common.rules import RuleViolation
from sme_finance_matching.lists.domain import Schedule, Trigger
from sme_finance_matching.needs.domain import Weights
from sme_finance_matching.needs.service import industry_section, terms
from sme_finance_matching.products import repository as products
from sme_finance_matching.pushes import domain, repository
from sme_finance_matching.pushes.domain import CatalogueProduct, ListedEnterprise, Period
from sme_finance_matching.pushes.events import ENTERPRISE_PUSH_TOPIC, push_event
from sme_finance_matching.pushes.models import EnterprisePush
from sme_finance_matching.pushes.schemas import (
    EnterprisePushPage,
    EnterprisePushRead,
    EnterprisePushSummary,
    PushFilters,
    PushPublish,
    PushRunRead,
)

PUSH = Resource("enterprise_push", "enterprise push {key}", "企业推送 {key}")
CURSOR = PositionCursor(member="e")
SCHEDULER = "system:enterprise-push"
CHUNK = 500
"""Enterprises pushed per INSERT (and per transaction on the schedule)."""


# --- making pushes ---------------------------------------------------------------------------


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


async def _catalogue(session: AsyncSession) -> list[CatalogueProduct]:
    """The credit-product catalogue (active products of active institutions), as eligibility
    reads it and as the enterprise is shown it."""
    catalogue = await products.catalogue(session)
    names = await repository.institution_names(
        session, sorted({p.institution_id for p in catalogue})
    )
    return [
        CatalogueProduct(
            terms=terms(p),
            shown={
                "id": p.id,
                "name": p.name,
                "product_type": p.product_type,
                "institution_id": p.institution_id,
                "institution_name": names[p.institution_id][0],
                "institution_kind": names[p.institution_id][1],
                "min_amount_fen": p.min_amount_fen,
                "max_amount_fen": p.max_amount_fen,
                "min_rate_ratio": _ratio(p.min_rate_ratio),
                "max_rate_ratio": _ratio(p.max_rate_ratio),
                "min_term_months": p.min_term_months,
                "max_term_months": p.max_term_months,
                "guarantee_fee_ratio": _ratio(p.guarantee_fee_ratio),
            },
        )
        for p in catalogue
    ]


def _listed(row: Any) -> ListedEnterprise:
    return ListedEnterprise(
        uscc=row["uscc"],
        name=row["name"],
        tier=row["tier"],
        level=row["level"],
        certificate_id=row["certificate_id"],
        issued_on=row["issued_on"],
        expires_on=row["expires_on"],
        region_code=row["region_code"],
        reporting_unit_code=row["reporting_unit_code"],
        industry_code=row["industry_code"],
        industry_section=industry_section(row["industry_code"]),
        # The latest class registry decided (划型); None while none is known, and then a product
        # restricted by size is shown with "size" to confirm.
        size_class=row["size_class"],
    )


def _instant(day: date) -> datetime:
    """The start of a business day (Asia/Shanghai): a period's bounds as instants."""
    return datetime.combine(day, time.min, tzinfo=clock.BUSINESS_TIMEZONE)


@dataclass(frozen=True)
class _Run:
    period: Period
    trigger: Trigger
    requested_by: str
    catalogue: list[CatalogueProduct]
    receivers: dict[str, list[tuple[str, str]]]


async def _prepare(
    session: AsyncSession,
    period: Period,
    trigger: Trigger,
    requested_by: str,
    usccs: Sequence[str] | None,
) -> _Run:
    receivers = await repository.receivers(
        session,
        since=_instant(period.starts_on),
        before=_instant(period.ends_before),
        usccs=usccs,
    )
    return _Run(period, trigger, requested_by, await _catalogue(session), receivers)


async def _push(uow: UnitOfWork, run: _Run, usccs: Sequence[str]) -> int:
    """Push these enterprises (in the caller's transaction): build, checksum, insert — a push an
    earlier or concurrent run made for the enterprise and period stays, and nothing is published
    for it. How many were made."""
    session = uow.session
    now = clock.now()
    weights = Weights.load()
    rows: list[dict[str, Any]] = []
    for found in await repository.listed(session, usccs, clock.business_today()):
        enterprise = _listed(found)
        push_id = f"push_{secrets.token_hex(8)}"
        institutions = run.receivers.get(enterprise.uscc, [])
        offered = domain.eligible_products(enterprise, run.catalogue, weights)
        content = domain.content(
            push_id=push_id,
            enterprise=enterprise,
            period=run.period.key,
            trigger=run.trigger.value,
            generated_at=now.isoformat(),
            institutions=institutions,
            products=offered,
        )
        rows.append(
            {
                "id": push_id,
                "uscc": enterprise.uscc,
                "period": run.period.key,
                "trigger": run.trigger.value,
                "requested_by": run.requested_by,
                "generated_at": now,
                "tier": enterprise.tier,
                "region_code": enterprise.region_code,
                "reporting_unit_code": enterprise.reporting_unit_code,
                "institution_count": len(content["institutions"]),
                "product_count": len(offered),
                "content": content,
                "content_sha256": domain.checksum(content),
            }
        )
    made = await repository.insert_pushes(session, rows)
    for row in rows:
        if row["id"] in made:
            uow.publish(
                ENTERPRISE_PUSH_TOPIC,
                push_event(
                    EnterprisePushPublishedV1(
                        push_id=row["id"],
                        uscc=row["uscc"],
                        period=row["period"],
                        trigger=row["trigger"],
                        tier=row["tier"],
                        institution_count=row["institution_count"],
                        product_count=row["product_count"],
                        content_sha256=row["content_sha256"],
                        generated_at=now,
                    )
                ),
            )
    return len(made)


def _chunks(usccs: Sequence[str]) -> list[Sequence[str]]:
    return [usccs[i : i + CHUNK] for i in range(0, len(usccs), CHUNK)]


@dataclass(frozen=True)
class PushReport:
    period: str | None
    published: int
    skipped: int


async def publish_due(database: Database, *, schedule: Schedule) -> PushReport:
    """The scheduled run, after the bank snapshots of the period: every titled enterprise without a
    push for the current period gets one (``CHUNK`` enterprises per transaction; a re-run, or a
    concurrent one, makes nothing twice)."""
    if schedule is Schedule.OFF:
        return PushReport(None, 0, 0)
    period = domain.push_period(clock.business_today(), schedule)
    everyone = RegionScope(RegionLevel.ALL)
    async with UnitOfWork(database) as uow:
        usccs = await repository.due(
            uow.session, period=period.key, today=clock.business_today(), scope=everyone, uscc=None
        )
        if not usccs:
            return PushReport(period.key, 0, 0)
        run = await _prepare(uow.session, period, Trigger.SCHEDULED, SCHEDULER, None)
    published = 0
    for chunk in _chunks(usccs):
        async with UnitOfWork(database) as uow:
            published += await _push(uow, run, chunk)
            await uow.commit()
    return PushReport(period.key, published, len(usccs) - published)


def _not_certified(uscc: str) -> RuleViolation:
    return RuleViolation(
        "enterprise_not_certified",
        f"Enterprise {uscc} holds no valid title: it is pushed nothing",
        f"企业 {uscc} 未持有有效的认定称号，不予推送",
        field="uscc",
    )


async def publish_on_demand(
    database: Database,
    *,
    command: PushPublish,
    actor: Principal,
    schedule: Schedule,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """On demand by the province: the enterprises of its region (or the one named) that hold a
    valid title and have no push for the current period get one now, in one transaction (the
    ``Idempotency-Key`` is recorded with it)."""
    today = clock.business_today()
    period = domain.push_period(today, schedule)

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        session = uow.session
        scope = actor.region_scope()
        if command.uscc is not None:
            await enterprise_in_scope(directory.get, session, command.uscc, actor)
            if not await repository.holds_title(session, command.uscc, today):
                raise _not_certified(command.uscc)
        usccs = await repository.due(
            session, period=period.key, today=today, scope=scope, uscc=command.uscc
        )
        published = 0
        if usccs:
            narrow = usccs if len(usccs) <= CHUNK else None
            run = await _prepare(session, period, Trigger.ON_DEMAND, actor.subject, narrow)
            for chunk in _chunks(usccs):
                published += await _push(uow, run, chunk)
        skipped = len(usccs) - published
        if command.uscc is not None and not usccs:
            skipped = 1  # named, titled, in scope: already pushed this period
        report = PushRunRead(
            period=period.key, trigger=Trigger.ON_DEMAND, published=published, skipped=skipped
        )
        return 200, report.model_dump(mode="json")

    return await run_once(database, idempotency, operation)


# --- reading and acknowledging ---------------------------------------------------------------


def _summary(row: Any, acks: dict[str, Any], first_reads: dict[str, datetime]) -> dict[str, Any]:
    ack = acks.get(row.id)
    return {
        "id": row.id,
        "uscc": row.uscc,
        "period": row.period,
        "trigger": row.trigger,
        "generated_at": row.generated_at,
        "tier": row.tier,
        "region_code": row.region_code,
        "reporting_unit_code": row.reporting_unit_code,
        "institution_count": row.institution_count,
        "product_count": row.product_count,
        "content_sha256": row.content_sha256,
        "first_read_at": first_reads.get(row.id),
        "acknowledged_at": None if ack is None else ack.acknowledged_at,
        "acknowledged_by": None if ack is None else ack.acknowledged_by,
    }


async def _read(session: AsyncSession, push: EnterprisePush) -> EnterprisePushRead:
    acks = await repository.acks(session, [push.id])
    first = await repository.first_reads(session, [push.id])
    return EnterprisePushRead.model_validate(
        {**_summary(push, acks, first), "content": push.content}
    )


def _is_enterprise(actor: Principal) -> bool:
    return Role.ENTERPRISE in actor.roles and actor.uscc is not None


async def list_pushes(
    database: Database, *, filters: PushFilters, actor: Principal
) -> EnterprisePushPage:
    """Newest first; an enterprise's own (the listing logged), an officer's region's."""
    before = CURSOR.after(filters.cursor) or None
    async with UnitOfWork(database) as uow:
        session = uow.session
        rows = await repository.find(
            session, repository.visible(actor.region_scope()), filters, before=before
        )
        page, last = split_page(rows, filters.limit)
        ids = [r.id for r in page]
        acks = await repository.acks(session, ids)
        first = await repository.first_reads(session, ids)
        result = EnterprisePushPage(
            items=[EnterprisePushSummary.model_validate(_summary(r, acks, first)) for r in page],
            next_cursor=None if last is None else CURSOR.encode(last.seq),
        )
        if _is_enterprise(actor) and ids:
            assert actor.uscc is not None
            await repository.log_reads(
                session,
                push_ids=ids,
                uscc=actor.uscc,
                kind="listed",
                subject=actor.subject,
                at=clock.now(),
            )
            await uow.commit()
        return result


async def _visible_push(session: AsyncSession, actor: Principal, push_id: str) -> EnterprisePush:
    push = await repository.get(session, push_id, repository.visible(actor.region_scope()))
    if push is None:
        raise not_found(PUSH, push_id, field="push_id")
    return push


async def get_push(database: Database, *, push_id: str, actor: Principal) -> EnterprisePushRead:
    """One push with its content; the enterprise's read is logged (committed before it is
    answered)."""
    async with UnitOfWork(database) as uow:
        session = uow.session
        push = await _visible_push(session, actor, push_id)
        if _is_enterprise(actor):
            await repository.log_reads(
                session,
                push_ids=[push.id],
                uscc=push.uscc,
                kind="read",
                subject=actor.subject,
                at=clock.now(),
            )
            await uow.flush()
        read = await _read(session, push)
        await uow.commit()
        return read


async def acknowledge_push(
    database: Database, *, push_id: str, actor: Principal
) -> EnterprisePushRead:
    """The enterprise's read receipt: recorded once; acknowledging again answers the first."""
    async with UnitOfWork(database) as uow:
        session = uow.session
        push = await _visible_push(session, actor, push_id)
        await repository.acknowledge(
            session, push_id=push.id, uscc=push.uscc, at=clock.now(), by=actor.subject
        )
        read = await _read(session, push)
        await uow.commit()
        return read
