"""Filing and reading yearly facts; filing recomputes the size class."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sme_common import clock
from sme_common.auth.principal import Principal, Role
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, Forbidden
from sme_common.problems import Resource, enterprise_in_scope, not_found, version_conflict
from sme_registry.enterprises import repository as enterprises
from sme_registry.enterprises.events import ENTERPRISE_TOPIC, enterprise_event
from sme_registry.facts import domain, repository
from sme_registry.facts.events import facts_filed
from sme_registry.facts.models import EnterpriseFacts, EnterpriseFactsRevision
from sme_registry.facts.schemas import FactsPage, FactsRead, FactsWrite, Ratios
from sme_registry.sizing.service import reclassify

FACT_FIELDS = [f for f in FactsWrite.model_fields if f not in ("version",)]
DOMAIN_FIELDS = [f for f in domain.YearlyFacts.__dataclass_fields__ if f != "year"]
FACTS = Resource("facts", "facts for {key}", "{key} 年度数据")
SELF_DECLARED = "self_declared"
"""The source of an enterprise's own declaration (the default of ``FactsWrite.source``)."""


def to_domain(row: EnterpriseFacts | FactsWrite, year: int) -> domain.YearlyFacts:
    return domain.YearlyFacts(year=year, **{f: getattr(row, f) for f in DOMAIN_FIELDS})


def facts_read(row: EnterpriseFacts, previous: EnterpriseFacts | None) -> FactsRead:
    ratios = domain.derive_ratios(
        to_domain(row, row.year), to_domain(previous, previous.year) if previous else None
    )
    read = FactsRead.model_validate(row)
    read.ratios = Ratios(**asdict(ratios))
    return read


async def file_facts(
    database: Database,
    *,
    uscc: str,
    year: int,
    command: FactsWrite,
    actor: Principal,
    source_override: str | None = None,
) -> tuple[FactsRead, bool]:
    """File or correct one year's facts. Returns (facts, created). Same facts again change nothing."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        enterprise = await enterprise_in_scope(enterprises.get_for_update, uow.session, uscc, actor)
        domain.check_facts(
            to_domain(command, year),
            today=clock.business_day(now),
            founded_on=enterprise.founded_on,
        )
        current = await repository.get(uow.session, uscc, year, for_update=True)
        values: dict[str, Any] = {f: getattr(command, f) for f in FACT_FIELDS}
        if source_override:
            values["source"] = source_override
        if actor.has_role(Role.ENTERPRISE):
            check_self_declaration(values["source"], current.source if current else None)
        if current is None:
            if command.version is not None:
                raise version_conflict(FACTS, year, current=None, sent=command.version)
            current = EnterpriseFacts(
                uscc=uscc, year=year, version=1, filed_at=now, filed_by=actor.subject, **values
            )
            uow.session.add(current)
            created = True
        else:
            if command.version is None:
                # Without the version read, a filing would overwrite facts the caller never saw
                # (and set what it omits to null). 409, not 428: a PUT without a version is a
                # first filing, which needs no precondition, and it finds the year already filed;
                # the loser of two first filings at once gets the same answer.
                raise Conflict(
                    "version_required",
                    f"Facts for {year} are already filed (version {current.version}); "
                    "send the version you read as version or If-Match",
                    f"{year} 年度数据已填报（当前版本 {current.version}），"
                    "修改时请提交读取时的版本号（version 或 If-Match）",
                    field="version",
                    extra={"current_version": current.version},
                )
            if command.version != current.version:
                raise version_conflict(FACTS, year, current=current.version, sent=command.version)
            if all(getattr(current, f) == v for f, v in values.items()):
                previous = await _previous(uow, uscc, year)
                return facts_read(current, previous), False
            for field, value in values.items():
                setattr(current, field, value)
            current.version += 1
            current.filed_at, current.filed_by = now, actor.subject
            created = False
        await uow.flush()
        previous = await _previous(uow, uscc, year)
        read = facts_read(current, previous)
        uow.session.add(
            EnterpriseFactsRevision(
                uscc=uscc,
                year=year,
                version=current.version,
                snapshot=read.model_dump(mode="json", exclude={"ratios"}),
                recorded_at=now,
                recorded_by=actor.subject,
            )
        )
        uow.publish(
            ENTERPRISE_TOPIC,
            enterprise_event(
                facts_filed(
                    uscc,
                    year=year,
                    version=current.version,
                    facts=read.model_dump(include=set(FACT_FIELDS)),
                    ratios=domain.derive_ratios(
                        to_domain(current, year),
                        to_domain(previous, previous.year) if previous else None,
                    ),
                    at=now,
                )
            ),
        )
        await reclassify(uow, enterprise, actor=actor.subject, at=now)
        await uow.commit()
        return read, created


def check_self_declaration(source: str, filed_source: str | None) -> None:
    """An enterprise files its own facts as a declaration (``self_declared``), and never replaces
    a year that another source filed (tax, statistics, market regulation, an audit, an import):
    certification reads these facts (issue 8), so an applicant must not be able to pass its own
    figures off as verified ones, nor overwrite verified ones with its own."""
    if source != SELF_DECLARED:
        raise Forbidden(
            "facts_source_not_self_declared",
            f"An enterprise files its facts as {SELF_DECLARED!r}, not {source!r}",
            f"企业自行填报的年度数据来源只能是 {SELF_DECLARED}（企业自报）",
            field="source",
        )
    if filed_source is not None and filed_source != SELF_DECLARED:
        raise Forbidden(
            "facts_filed_by_another_source",
            f"These facts were filed from {filed_source!r}; an enterprise cannot replace them",
            f"该年度数据来源为 {filed_source}，企业不能以自报数据覆盖",
            field="source",
        )


async def _previous(uow: UnitOfWork, uscc: str, year: int) -> EnterpriseFacts | None:
    return await repository.get(uow.session, uscc, year - 1)


async def get_facts(database: Database, *, uscc: str, year: int, actor: Principal) -> FactsRead:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        row = await repository.get(uow.session, uscc, year)
        if row is None:
            raise not_found(FACTS, year, field="year")
        return facts_read(row, await _previous(uow, uscc, year))


async def list_facts(database: Database, *, uscc: str, actor: Principal) -> FactsPage:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(enterprises.get, uow.session, uscc, actor)
        rows = await repository.every_year(uow.session, uscc)
        by_year = {r.year: r for r in rows}
        return FactsPage(items=[facts_read(r, by_year.get(r.year - 1)) for r in rows])
