"""Every query of the facts read model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.facts.models import RegistryCreditFlag, RegistrySizeClass, RegistryYearFacts


async def record_year_facts(
    session: AsyncSession,
    *,
    uscc: str,
    year: int,
    facts: dict[str, Any],
    ratios: dict[str, Any],
    registry_version: int,
    source: str | None,
    filed_at: datetime,
) -> None:
    """Keep the newest version of the year: an older or replayed filing never overwrites it."""
    statement = pg_insert(RegistryYearFacts).values(
        uscc=uscc,
        year=year,
        facts=facts,
        ratios=ratios,
        registry_version=registry_version,
        source=source,
        filed_at=filed_at,
    )
    incoming = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["uscc", "year"],
            set_={
                "facts": incoming.facts,
                "ratios": incoming.ratios,
                "registry_version": incoming.registry_version,
                "source": incoming.source,
                "filed_at": incoming.filed_at,
                "received_at": incoming.received_at,
            },
            where=RegistryYearFacts.registry_version < incoming.registry_version,
        )
    )


async def record_flag(
    session: AsyncSession,
    *,
    flag_id: str,
    uscc: str,
    kind: str,
    started_on: date,
    ended_on: date | None,
    change: str,
) -> None:
    """A flag's events come in order (one key per enterprise): the last one is its state."""
    statement = pg_insert(RegistryCreditFlag).values(
        flag_id=flag_id,
        uscc=uscc,
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        last_change=change,
    )
    incoming = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["flag_id"],
            set_={
                "kind": incoming.kind,
                "started_on": incoming.started_on,
                "ended_on": incoming.ended_on,
                "last_change": incoming.last_change,
                "received_at": incoming.received_at,
            },
        )
    )


async def record_size_class(
    session: AsyncSession,
    *,
    uscc: str,
    size_class: str | None,
    basis_year: int | None,
    rule_version: str,
    decided_at: datetime,
) -> None:
    """The latest decision wins; an older one replayed after it changes nothing."""
    statement = pg_insert(RegistrySizeClass).values(
        uscc=uscc,
        size_class=size_class,
        basis_year=basis_year,
        rule_version=rule_version,
        decided_at=decided_at,
    )
    incoming = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["uscc"],
            set_={
                "size_class": incoming.size_class,
                "basis_year": incoming.basis_year,
                "rule_version": incoming.rule_version,
                "decided_at": incoming.decided_at,
            },
            where=RegistrySizeClass.decided_at <= incoming.decided_at,
        )
    )


async def years_of(session: AsyncSession, uscc: str) -> Sequence[RegistryYearFacts]:
    query = select(RegistryYearFacts).where(RegistryYearFacts.uscc == uscc)
    return (await session.scalars(query.order_by(RegistryYearFacts.year))).all()


async def flags_of(session: AsyncSession, uscc: str) -> Sequence[RegistryCreditFlag]:
    query = select(RegistryCreditFlag).where(RegistryCreditFlag.uscc == uscc)
    return (await session.scalars(query.order_by(RegistryCreditFlag.started_on))).all()


async def size_class_of(session: AsyncSession, uscc: str) -> RegistrySizeClass | None:
    return await session.get(RegistrySizeClass, uscc)
