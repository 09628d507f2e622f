"""Keeping each enterprise's size class current, and answering what it was on a date."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import NotFound
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.enterprises.models import Enterprise
from sme_registry.facts.models import EnterpriseFacts
from sme_registry.sizing.domain import SizeFigures, load_size_rules
from sme_registry.sizing.events import size_class_changed
from sme_registry.sizing.models import SizeClassRecord
from sme_registry.sizing.schemas import SizeClassRead


async def reclassify(uow: UnitOfWork, enterprise: Enterprise, *, actor: str, at: datetime) -> None:
    """Decide the size class from the latest yearly facts; record and announce it if it changed.

    The caller holds the enterprise row locked and commits.
    """
    from sme_registry.enterprises.service import bump, record_revision

    latest = (
        await uow.session.execute(
            select(EnterpriseFacts)
            .where(EnterpriseFacts.uscc == enterprise.uscc)
            .order_by(EnterpriseFacts.year.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    rules = load_size_rules()
    figures = SizeFigures(
        employees=latest.employees if latest else None,
        operating_revenue_fen=latest.operating_revenue_fen if latest else None,
        total_assets_fen=latest.total_assets_fen if latest else None,
    )
    decision = rules.classify(enterprise.industry_code, figures)
    new_class = decision.size_class.value if decision.size_class else None
    basis_year = latest.year if latest else None
    if (new_class, basis_year) == (enterprise.size_class, enterprise.size_class_year):
        return
    previous = enterprise.size_class
    enterprise.size_class, enterprise.size_class_year = new_class, basis_year
    bump(enterprise, actor, at)
    record_revision(uow, enterprise, "size_class_changed", actor, at)
    uow.session.add(
        SizeClassRecord(
            uscc=enterprise.uscc,
            size_class=new_class,
            basis_year=basis_year,
            rule_version=rules.version,
            explanation=decision.explanation,
            decided_at=at,
        )
    )
    if new_class != previous:
        uow.publish(
            ENTERPRISE_TOPIC,
            enterprise_event(
                size_class_changed(
                    enterprise.uscc,
                    decision=decision,
                    previous_size_class=previous,
                    basis_year=basis_year,
                    rule_version=rules.version,
                    at=at,
                )
            ),
        )


async def size_class_on(
    database: Database, *, uscc: str, on: date | None, actor: Principal
) -> SizeClassRead:
    from sme_registry.enterprises.service import check_not_future, end_of_business_day, not_found

    if on is not None:
        check_not_future(on, "on")
    async with UnitOfWork(database) as uow:
        if await enterprises.get(uow.session, uscc, actor.region_scope()) is None:
            raise not_found(uscc)
        query = select(SizeClassRecord).where(SizeClassRecord.uscc == uscc)
        if on is not None:
            query = query.where(SizeClassRecord.decided_at < end_of_business_day(on))
        record = (
            await uow.session.execute(
                query.order_by(SizeClassRecord.decided_at.desc(), SizeClassRecord.id.desc()).limit(
                    1
                )
            )
        ).scalar_one_or_none()
        if record is None:
            raise NotFound(
                "size_class_unknown",
                f"No size class was decided for {uscc}" + (f" by {on}" if on else ""),
                "该企业在该日期前尚未划型（缺少年度数据）",
                field="on",
            )
        return SizeClassRead.model_validate(record)
