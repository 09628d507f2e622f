"""Queries over the enterprise directory; the caller's region scope is part of every WHERE clause.

Beside the entry, the directory answers what registry announced about an enterprise: the size
class in force on a day (国务院令第802号 第三条: an SME's size is the one at the contract's signing),
the latest one, the credit flags and the people serving it. What no event has told is answered
``None``, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    DateTime,
    Row,
    Select,
    Text,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import RegionLevel, RegionScope
from sme_common.directory.models import (
    enterprise_directory,
    enterprise_directory_flag,
    enterprise_directory_flags,
    enterprise_directory_people,
    enterprise_directory_size_class,
)

_table = enterprise_directory


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(_table.c.region_code, _table.c.reporting_unit_code, uscc_col=_table.c.uscc)


async def get(session: AsyncSession, uscc: str, scope: RegionScope) -> Row[Any] | None:
    query = select(_table).where(_table.c.uscc == uscc, _in_scope(scope))
    return (await session.execute(query)).first()


async def page(
    session: AsyncSession, scope: RegionScope, *, after: str | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit + 1`` entries after the USCC ``after``, in USCC order (the extra one says
    whether another page follows)."""
    query = select(_table).where(_in_scope(scope))
    if after is not None:
        query = query.where(_table.c.uscc > after)
    return (await session.execute(query.order_by(_table.c.uscc).limit(limit + 1))).all()


# What registry announced beside the entry.

SME_SIZE_CLASSES = frozenset({"micro", "small", "medium"})
"""中小企业: medium, small and micro (工信部联企业〔2011〕300号); ``large`` is not one."""


@dataclass(frozen=True)
class SizeClassDecision:
    """One ``size-class-changed.v1``: the class registry decided at ``decided_at`` from the facts
    of ``basis_year`` (``size_class`` None: registry could not decide)."""

    size_class: str | None
    previous_size_class: str | None
    basis_year: int | None
    rule_version: str
    decided_at: datetime
    event_id: str

    @property
    def is_sme(self) -> bool | None:
        """Micro, small or medium: True; large: False; undecided: None."""
        if self.size_class is None:
            return None
        return self.size_class in SME_SIZE_CLASSES


@dataclass(frozen=True)
class ServingPerson:
    """A service commissioner (服务专员) or financial adviser (金融顾问) serving the enterprise."""

    person_id: str
    name: str
    role: str
    organisation: str | None
    phone: str | None
    assigned_on: date | None


@dataclass(frozen=True)
class CreditFlags:
    """``in_force``: the kinds of the flags whose period covers ``on`` (from each flag's latest
    event: a flag whose end date has come since is no longer in force, though no event said so);
    ``stated``: the ``active_flags`` registry sent with its latest flags-changed event, at
    ``stated_at``. Both sorted, each kind once."""

    on: date
    in_force: tuple[str, ...]
    stated: tuple[str, ...]
    stated_at: datetime


@dataclass(frozen=True)
class EntrySummary:
    """The register entry as the directory holds it."""

    name: str
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    founded_on: date | None
    operating_status: str
    registry_version: int


@dataclass(frozen=True)
class EnterpriseFacts:
    """What the directory knows of one enterprise. ``entry`` None: not (yet) registered here;
    ``size_class_on`` None: no decision known by the end of the day asked (or no day asked);
    ``latest_size_class`` None: no decision known at all; ``flags`` None: no flags-changed event
    received (registry announces flags only when one is raised, changed or lifted, so an
    enterprise never flagged has none); ``people`` None: no service-people-changed event received
    (an empty tuple: everyone's assignment has ended)."""

    uscc: str
    entry: EntrySummary | None
    size_class_on: SizeClassDecision | None
    latest_size_class: SizeClassDecision | None
    flags: CreditFlags | None
    people: tuple[ServingPerson, ...] | None
    people_changed_at: datetime | None


_history = enterprise_directory_size_class
_DECISION_COLUMNS = (
    "size_class",
    "previous_size_class",
    "basis_year",
    "rule_version",
    "decided_at",
    "event_id",
)


def _decisions(uscc: Any, until: Any) -> Select[Any]:
    """The latest decision about ``uscc`` made before ``until`` (or at all): the latest
    ``decided_at``, then the latest received of equals."""
    query = select(*(_history.c[name] for name in _DECISION_COLUMNS)).where(_history.c.uscc == uscc)
    if until is not None:
        query = query.where(_history.c.decided_at < until)
    return query.order_by(_history.c.decided_at.desc(), _history.c.id.desc()).limit(1)


def _until(on: date) -> datetime | None:
    """The end of the business day ``on`` (Asia/Shanghai): what was decided before it was in
    force by then. The last representable day has no end to compare with: everything counts."""
    return None if on == date.max else clock.end_of_business_day(on)


def _decision(row: Mapping[Any, Any], prefix: str = "") -> SizeClassDecision | None:
    if row[f"{prefix}event_id"] is None:
        return None
    return SizeClassDecision(**{name: row[f"{prefix}{name}"] for name in _DECISION_COLUMNS})


def latest_size_class_of(uscc: Any) -> Any:
    """The latest size class decided for the enterprise in ``uscc`` (a column of the outer query),
    as a scalar subquery for set-based copies (a snapshot of the list); NULL when none is known or
    registry could not decide one."""
    return _decisions(uscc, None).with_only_columns(_history.c.size_class).scalar_subquery()


def flags_in_force_of(uscc: Any, on: date) -> Any:
    """The kinds of the credit flags in force on ``on`` for the enterprise in ``uscc``, sorted and
    comma-joined, as a scalar subquery; NULL when none is (a flag's period decides, since an end
    date coming round is no event)."""
    kind = enterprise_directory_flag.c.kind
    return (
        select(func.string_agg(kind.distinct(), aggregate_order_by(literal_column("','"), kind)))
        .where(*_flag_in_force(uscc, on))
        .scalar_subquery()
    )


def _flag_in_force(uscc: Any, on: Any) -> tuple[ColumnElement[bool], ...]:
    """A flag of ``uscc`` is in force on ``on`` from ``started_on`` until the day before
    ``ended_on`` (registry's ``flags.domain.is_active``: ``ended_on`` is the first day without it)."""
    flag = enterprise_directory_flag
    return (
        flag.c.uscc == uscc,
        flag.c.started_on <= on,
        or_(flag.c.ended_on.is_(None), flag.c.ended_on > on),
    )


async def size_class_on(session: AsyncSession, uscc: str, on: date) -> SizeClassDecision | None:
    """The decision in force on ``on``: the latest made before the end of that day (Asia/Shanghai),
    or None when none is known by then (never the next one guessed backwards)."""
    row = (await session.execute(_decisions(uscc, _until(on)))).mappings().first()
    return _decision(row) if row is not None else None


async def latest_size_class(session: AsyncSession, uscc: str) -> SizeClassDecision | None:
    """The latest decision known about ``uscc``, or None."""
    row = (await session.execute(_decisions(uscc, None))).mappings().first()
    return _decision(row) if row is not None else None


async def size_class_history(session: AsyncSession, uscc: str) -> list[SizeClassDecision]:
    """Every decision known about ``uscc``, oldest first."""
    query = (
        select(*(_history.c[name] for name in _DECISION_COLUMNS))
        .where(_history.c.uscc == uscc)
        .order_by(_history.c.decided_at, _history.c.id)
    )
    return [d for row in (await session.execute(query)).mappings() if (d := _decision(row))]


def _people(value: Any) -> tuple[ServingPerson, ...] | None:
    if value is None:
        return None
    return tuple(
        ServingPerson(
            person_id=p["person_id"],
            name=p["name"],
            role=p["role"],
            organisation=p.get("organisation"),
            phone=p.get("phone"),
            assigned_on=date.fromisoformat(p["assigned_on"]) if p.get("assigned_on") else None,
        )
        for p in value
    )


_ENTRY_COLUMNS = (
    "name",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
    "registry_version",
)


@cache
def _facts_query(with_on: bool) -> Select[Any]:
    """``enterprise_facts``' statement, built once (intake reads it on every complaint, and
    building its lateral subqueries cost more CPU than running it): the USCCs, the day flags are
    judged on and, ``with_on``, the end of the day the size class is wanted for are parameters."""
    asked = select(
        func.unnest(cast(bindparam("usccs", type_=ARRAY(Text())), ARRAY(Text()))).label("uscc")
    ).subquery("asked")
    directory = enterprise_directory
    latest = _decisions(asked.c.uscc, None).lateral("latest")
    on_day = _decisions(asked.c.uscc, bindparam("until", type_=DateTime(timezone=True))).lateral(
        "on_day"
    )
    flag = enterprise_directory_flag
    in_force = (
        select(func.array_agg(flag.c.kind))
        .where(*_flag_in_force(asked.c.uscc, bindparam("flags_on", type_=Date())))
        .scalar_subquery()
    )
    stated = enterprise_directory_flags
    people = enterprise_directory_people
    columns: list[Any] = [
        asked.c.uscc,
        directory.c.uscc.label("entry_uscc"),
        *(directory.c[name] for name in _ENTRY_COLUMNS),
        *(latest.c[name].label(f"latest_{name}") for name in _DECISION_COLUMNS),
        *(
            (on_day.c[name] if with_on else null()).label(f"on_{name}")
            for name in _DECISION_COLUMNS
        ),
        in_force.label("flags_in_force"),
        stated.c.active_flags.label("flags_stated"),
        stated.c.changed_at.label("flags_stated_at"),
        people.c.people,
        people.c.changed_at.label("people_changed_at"),
    ]
    query = (
        select(*columns)
        .select_from(asked)
        .outerjoin(directory, directory.c.uscc == asked.c.uscc)
        .outerjoin(latest, literal(True))
        .outerjoin(stated, stated.c.uscc == asked.c.uscc)
        .outerjoin(people, people.c.uscc == asked.c.uscc)
    )
    if with_on:
        query = query.outerjoin(on_day, literal(True))
    return query


async def enterprise_facts(
    session: AsyncSession,
    usccs: Iterable[str],
    scope: RegionScope,
    *,
    on: date | None = None,
) -> dict[str, EnterpriseFacts]:
    """Everything the directory knows of each of ``usccs``, in one query: the entry, the size
    class in force on ``on`` and the latest, the credit flags in force on ``on`` (today when not
    given) and the people serving each.

    ``scope`` is in the query: an enterprise whose entry is outside it, or which has no entry,
    is left out of the answer, unless the scope is the whole platform (``RegionLevel.ALL``, for a
    use case that has already decided the caller may know of it), which answers every USCC asked,
    entry or not."""
    wanted = sorted(set(usccs))
    if not wanted:
        return {}
    flags_on = on if on is not None else clock.business_today()
    query = _facts_query(on is not None)
    if scope.level is not RegionLevel.ALL:
        query = query.where(_scope_of_asked(scope, query.selected_columns.uscc))
    params: dict[str, Any] = {"usccs": wanted, "flags_on": flags_on}
    if on is not None:
        params["until"] = _until(on) or datetime.max.replace(tzinfo=UTC)
    rows = (await session.execute(query, params)).mappings()
    facts: dict[str, EnterpriseFacts] = {}
    for row in rows:
        uscc = row["uscc"]
        entry = (
            EntrySummary(**{name: row[name] for name in _ENTRY_COLUMNS})
            if row["entry_uscc"] is not None
            else None
        )
        flags = (
            CreditFlags(
                on=flags_on,
                in_force=tuple(sorted(set(row["flags_in_force"] or ()))),
                stated=tuple(sorted(set(row["flags_stated"]))),
                stated_at=row["flags_stated_at"],
            )
            if row["flags_stated"] is not None
            else None
        )
        facts[uscc] = EnterpriseFacts(
            uscc=uscc,
            entry=entry,
            size_class_on=_decision(row, "on_"),
            latest_size_class=_decision(row, "latest_"),
            flags=flags,
            people=_people(row["people"]),
            people_changed_at=row["people_changed_at"],
        )
    return facts


def _scope_of_asked(scope: RegionScope, uscc: Any) -> ColumnElement[bool]:
    return scope.clause(
        enterprise_directory.c.region_code,
        enterprise_directory.c.reporting_unit_code,
        uscc_col=uscc,
    )
