"""Keeping the facts read model from registry's events, and reading it (for the API and for the
applications' evaluations)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.facts import domain, repository
from sme_certification.facts.schemas import EnterpriseFactsRead, FlagRead, SizeClassRead, YearRead
from sme_certification.rules.facts import EvaluationInput
from sme_common.auth.principal import Principal
from sme_common.contracts.events.registry.models import (
    FactsFiledV1,
    FlagsChangedV1,
    SizeClassChangedV1,
)
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.problems import enterprise_in_scope


async def facts_filed(uow: UnitOfWork, filed: FactsFiledV1) -> None:
    source = filed.source if isinstance(filed.source, str) else None
    await repository.record_year_facts(
        uow.session,
        uscc=filed.uscc,
        year=filed.year,
        facts=filed.facts.model_dump(mode="json"),
        ratios=dict(filed.ratios),
        registry_version=filed.version,
        source=source,
        filed_at=filed.filed_at,
    )


async def flags_changed(uow: UnitOfWork, changed: FlagsChangedV1) -> None:
    await repository.record_flag(
        uow.session,
        flag_id=changed.flag_id,
        uscc=changed.uscc,
        kind=changed.kind,
        started_on=changed.started_on,
        ended_on=changed.ended_on,
        change=changed.change,
    )


async def size_class_changed(uow: UnitOfWork, changed: SizeClassChangedV1) -> None:
    await repository.record_size_class(
        uow.session,
        uscc=changed.uscc,
        size_class=changed.size_class,
        basis_year=changed.basis_year,
        rule_version=changed.rule_version,
        decided_at=changed.decided_at,
    )


async def evaluation_input_for(
    session: AsyncSession, uscc: str, declared: Mapping[str, Any]
) -> EvaluationInput:
    """The engine's input for ``uscc``: the read model, completed by the declared values."""
    years = await repository.years_of(session, uscc)
    flags = await repository.flags_of(session, uscc)
    size = await repository.size_class_of(session, uscc)
    return domain.evaluation_input(
        uscc=uscc,
        years=[domain.FiledYear(y.year, y.facts) for y in years],
        size_class=None if size is None else size.size_class,
        flags=[domain.KnownFlag(f.kind, f.started_on, f.ended_on) for f in flags],
        declared=declared,
    )


async def enterprise_facts(
    database: Database, *, uscc: str, actor: Principal
) -> EnterpriseFactsRead:
    async with UnitOfWork(database) as uow:
        await enterprise_in_scope(directory.get, uow.session, uscc, actor)
        years = await repository.years_of(uow.session, uscc)
        flags = await repository.flags_of(uow.session, uscc)
        size = await repository.size_class_of(uow.session, uscc)
        return EnterpriseFactsRead(
            uscc=uscc,
            years=[YearRead.model_validate(y) for y in years],
            flags=[FlagRead.model_validate(f) for f in flags],
            size_class=None if size is None else SizeClassRead.model_validate(size),
        )
