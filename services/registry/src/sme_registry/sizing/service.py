"""Keeping each enterprise's size class current, and answering what it was on a date."""

from __future__ import annotations

from datetime import date, datetime

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import NotFound
from sme_common.problems import enterprise_in_scope
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.enterprises.models import Enterprise
from sme_registry.facts import repository as facts
from sme_registry.sizing import repository
from sme_registry.sizing.domain import SizeFigures, load_size_rules
from sme_registry.sizing.events import size_class_changed
from sme_registry.sizing.models import SizeClassRecord
from sme_registry.sizing.schemas import SizeClassRead


async def reclassify(uow: UnitOfWork, enterprise: Enterprise, *, actor: str, at: datetime) -> None:
    """Decide the size class from the latest yearly facts; record and announce it if it changed.

    The caller holds the enterprise row locked and commits.
    """
    newest = await facts.latest(uow.session, enterprise.uscc)
    latest = newest[0] if newest else None
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
    enterprises.record_new_version(uow.session, enterprise, "size_class_changed", actor, at)
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
    if on is not None:
        clock.check_not_future(on, "on")
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        before = clock.end_of_business_day(on) if on is not None else None
        record = await repository.latest_decision(uow.session, uscc, before=before)
        if record is None:
            raise NotFound(
                "size_class_unknown",
                f"No size class was decided for {uscc}" + (f" by {on}" if on else ""),
                "该企业在该日期前尚未划型（缺少年度数据）",
                field="on",
            )
        return SizeClassRead.model_validate(record)
