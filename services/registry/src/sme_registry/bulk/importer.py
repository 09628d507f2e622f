"""Applying one chunk of imported rows in one transaction, with COPY for speed.

Per chunk: validate every row as the API does (its request models, then its domain rules and the
importer's region scope); load what the register already has for those enterprises inside that
scope; work out what is new, what changed and what is the same; check every event against its
schema; then write rows, revisions and outbox events with COPY. Rows that match the register exactly change nothing, so
importing the same file twice leaves the register, its versions and its events as they were.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson
import psycopg
import structlog
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import EventSchemaError, validate_event_data
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation
from sme_registry.bulk.columns import TITLES_ZH, CellError, column_of, has_facts
from sme_registry.dependencies import Year
from sme_registry.enterprises import domain as enterprise_domain
from sme_registry.enterprises.events import (
    ENTERPRISE_TOPIC,
    FACTS_FILED_V1,
    REGISTER_FIELDS,
    SIZE_CLASS_CHANGED_V1,
    enterprise_event,
    registered,
    updated,
)
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.repository import in_scope
from sme_registry.enterprises.schemas import EnterpriseCreate
from sme_registry.facts import domain as facts_domain
from sme_registry.facts.schemas import FactsWrite
from sme_registry.sizing.domain import SizeFigures, load_size_rules

log = structlog.get_logger(__name__)
FACT_FIELDS = tuple(f for f in facts_domain.YearlyFacts.__dataclass_fields__ if f != "year")
ENTERPRISE_COLUMNS = (
    "uscc",
    "name",
    "former_names",
    "legal_representative",
    "region_code",
    "reporting_unit_code",
    "industry_code",
    "founded_on",
    "operating_status",
    "tier",
    "size_class",
    "size_class_year",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
FACTS_COLUMNS = (
    "uscc",
    "year",
    *FACT_FIELDS,
    "quality_certifications",
    "source",
    "version",
    "filed_at",
    "filed_by",
)
OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "headers", "payload")


REGION_FORBIDDEN = CellError(
    "region_code", "region_forbidden", "outside your region", "不在您的辖区内"
)


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, CellError]] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({row for row, _ in self.errors})


@dataclass
class ValidRow:
    row_number: int
    uscc: str
    register: dict[str, Any]
    facts: facts_domain.YearlyFacts | None


_YEAR = TypeAdapter(Year)


def _model_errors(exc: ValidationError, *, field: str | None = None) -> list[CellError]:
    """The API models' refusals as cell errors, under the file's column names."""
    errors = []
    for error in exc.errors():
        if field is not None:
            column = field
        else:
            column = column_of(str(error["loc"][0])) if error["loc"] else "row"
        title = TITLES_ZH.get(column, column)
        errors.append(
            CellError(column, error["type"], f"{column}: {error['msg']}", f"{title}取值不符合要求")
        )
    return errors


def _command_values(values: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The cells that fill a request model; empty cells are left out so its defaults apply."""
    return {name: values[name] for name in model.model_fields if values.get(name) is not None}


def _rule_error(exc: RuleViolation) -> CellError:
    return CellError(column_of(exc.field), exc.code, exc.detail, exc.detail_zh)


def validate_row(
    row_number: int,
    values: Mapping[str, Any],
    scope: RegionScope,
    today: date,
    regions: RegionCatalog,
    industries: IndustryCatalog,
) -> ValidRow | list[CellError]:
    """One row through the API's own checks: the request models of POST /enterprises and
    PUT …/facts/{year} (field limits, text hygiene), then the same domain rules and region scope."""
    errors: list[CellError] = []
    command: EnterpriseCreate | None = None
    facts_command: FactsWrite | None = None
    year: int | None = None
    try:
        command = EnterpriseCreate.model_validate(_command_values(values, EnterpriseCreate))
    except ValidationError as exc:
        errors.extend(_model_errors(exc))
    if has_facts(values):
        try:
            year = _YEAR.validate_python(values["year"])
        except ValidationError as exc:
            errors.extend(_model_errors(exc, field="year"))
        try:
            facts_command = FactsWrite.model_validate(_command_values(values, FactsWrite))
        except ValidationError as exc:
            errors.extend(_model_errors(exc))
    if errors or command is None:
        return errors
    try:
        identity = enterprise_domain.identify(
            uscc=command.uscc,
            region_code=command.region_code,
            reporting_unit_code=command.reporting_unit_code,
            industry_code=command.industry_code,
            founded_on=command.founded_on,
            today=today,
            regions=regions,
            industries=industries,
        )
    except RuleViolation as exc:
        return [_rule_error(exc)]
    if not scope.covers(identity.region_code, identity.reporting_unit.code):
        return [REGION_FORBIDDEN]
    facts = None
    if facts_command is not None and year is not None:
        facts = facts_domain.YearlyFacts(
            year=year, **{f: getattr(facts_command, f) for f in FACT_FIELDS}
        )
        try:
            facts_domain.check_facts(facts, today=today, founded_on=command.founded_on)
        except RuleViolation as exc:
            return [_rule_error(exc)]
    return ValidRow(
        row_number,
        identity.uscc,
        {
            "name": command.name,
            "legal_representative": command.legal_representative,
            "region_code": identity.region_code,
            "reporting_unit_code": identity.reporting_unit.code,
            "industry_code": identity.industry_code,
            "founded_on": command.founded_on,
            "operating_status": command.operating_status.value,
        },
        facts,
    )


def validate(
    rows: Sequence[tuple[int, dict[str, Any]]], scope: RegionScope, today: date
) -> tuple[list[ValidRow], list[tuple[int, CellError]]]:
    regions, industries = RegionCatalog.load(), IndustryCatalog.load()
    valid: list[ValidRow] = []
    errors: list[tuple[int, CellError]] = []
    seen_years: set[tuple[str, int | None]] = set()
    for row_number, values in rows:
        checked = validate_row(row_number, values, scope, today, regions, industries)
        if isinstance(checked, list):
            errors.extend((row_number, e) for e in checked)
            continue
        key = (checked.uscc, checked.facts.year if checked.facts else None)
        if key in seen_years:
            errors.append(
                (
                    row_number,
                    CellError(
                        "uscc",
                        "duplicate_row",
                        "the same enterprise and year appear twice in the file",
                        "同一企业同一年度在文件中重复出现",
                    ),
                )
            )
            continue
        seen_years.add(key)
        valid.append(checked)
    return valid, errors


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _snapshot(e: dict[str, Any]) -> dict[str, Any]:
    return {
        "uscc": e["uscc"],
        "name": e["name"],
        "former_names": e["former_names"],
        "legal_representative": e["legal_representative"],
        "region_code": e["region_code"],
        "reporting_unit_code": e["reporting_unit_code"],
        "industry_code": e["industry_code"],
        "founded_on": e["founded_on"].isoformat() if e["founded_on"] else None,
        "operating_status": e["operating_status"],
        "tier": e["tier"],
        "size_class": e["size_class"],
        "size_class_year": e["size_class_year"],
        "version": e["version"],
        "created_at": e["created_at"].isoformat(),
        "updated_at": e["updated_at"].isoformat(),
    }


def _facts_json(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f[k] for k in (*FACT_FIELDS, "quality_certifications", "source")}


def _ratios(facts: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, str | None]:
    def as_domain(values: dict[str, Any]) -> facts_domain.YearlyFacts:
        return facts_domain.YearlyFacts(year=values["year"], **{f: values[f] for f in FACT_FIELDS})

    derived = facts_domain.derive_ratios(
        as_domain(facts), as_domain(previous) if previous else None
    )
    return {k: (None if v is None else str(v)) for k, v in derived.__dict__.items()}


def _outbox_row(event: CloudEvent) -> tuple[Any, ...]:
    headers = _json([[n, v.decode()] for n, v in event.kafka_headers()])
    return (event.id, ENTERPRISE_TOPIC, event.key, event.type, headers, event.body())


async def _copy(
    pg: psycopg.AsyncConnection[Any],
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    if not rows:
        return
    async with pg.cursor() as cursor:
        async with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                await copy.write_row(row)


async def _fetch(
    pg: psycopg.AsyncConnection[Any], sql: str, params: Sequence[Any]
) -> list[dict[str, Any]]:
    async with pg.cursor(row_factory=psycopg.rows.dict_row) as cursor:
        await cursor.execute(sql, params)
        return list(await cursor.fetchall())


def _event_errors(
    events: Sequence[CloudEvent], group: Sequence[ValidRow]
) -> list[tuple[int, CellError]]:
    """Bulk events skip UnitOfWork.publish, so each one is checked against its schema here; an
    event the API's checks let through but its contract refuses stops that enterprise's rows only."""
    for event in events:
        try:
            validate_event_data(event.type, event.data)
        except EventSchemaError as exc:
            error_id = secrets.token_hex(6)
            log.error(
                "import_event_invalid", error_id=error_id, event_type=event.type, error=str(exc)
            )
            error = CellError(
                "row",
                "row_not_publishable",
                f"the row cannot be announced to the other services (reference {error_id})",
                f"该行数据无法发布给其他服务（编号 {error_id}）",
            )
            return [(row.row_number, error) for row in group]
    return []


async def apply_chunk(
    session: AsyncSession,
    valid: Sequence[ValidRow],
    *,
    scope: RegionScope,
    actor: str,
    now: datetime,
    today: date,
) -> ChunkResult:
    """Write one validated chunk; the caller commits the session.

    Only enterprises inside ``scope`` (the importer's region) are read and changed: the scope is
    part of the query. A row whose enterprise exists outside it is refused as region_forbidden.
    """
    result = ChunkResult()
    if not valid:
        return result
    usccs = sorted({r.uscc for r in valid})
    table = Enterprise.__table__
    existing = {
        e["uscc"]: dict(e)
        for e in (
            await session.execute(
                select(table)
                .where(table.c.uscc.in_(usccs), in_scope(scope))
                .order_by(table.c.uscc)
                .with_for_update()
            )
        ).mappings()
    }
    elsewhere = set(
        (
            await session.execute(
                select(table.c.uscc).where(table.c.uscc.in_(usccs), ~in_scope(scope))
            )
        ).scalars()
    )
    if elsewhere:
        result.errors.extend((r.row_number, REGION_FORBIDDEN) for r in valid if r.uscc in elsewhere)
        valid = [r for r in valid if r.uscc not in elsewhere]
        usccs = [u for u in usccs if u not in elsewhere]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    pg: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    stored_facts = {
        (f["uscc"], f["year"]): f
        for f in await _fetch(pg, "SELECT * FROM enterprise_facts WHERE uscc = ANY(%s)", (usccs,))
    }

    years_of: dict[str, set[int]] = defaultdict(set)
    for fact_uscc, fact_year in stored_facts:
        years_of[fact_uscc].add(fact_year)
    by_uscc: dict[str, list[ValidRow]] = defaultdict(list)
    for row in valid:
        by_uscc[row.uscc].append(row)

    rules = load_size_rules()
    new_enterprises: list[dict[str, Any]] = []
    changed_enterprises: list[dict[str, Any]] = []
    revisions: list[tuple[Any, ...]] = []
    new_facts: list[dict[str, Any]] = []
    changed_facts: list[dict[str, Any]] = []
    facts_revisions: list[tuple[Any, ...]] = []
    size_records: list[tuple[Any, ...]] = []
    outbox: list[tuple[Any, ...]] = []
    staged: tuple[list[Any], ...] = (
        new_enterprises,
        changed_enterprises,
        revisions,
        new_facts,
        changed_facts,
        facts_revisions,
        size_records,
    )
    for uscc, group in by_uscc.items():
        marks, counts = [len(rows) for rows in staged], (result.created, result.updated)
        register = group[-1].register
        current = existing.get(uscc)
        events: list[CloudEvent] = []
        if current is None:
            enterprise = {
                "uscc": uscc,
                **register,
                "former_names": [],
                "tier": None,
                "size_class": None,
                "size_class_year": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "created_by": actor,
                "updated_by": actor,
            }
            changed_fields: list[str] = []
        else:
            enterprise = dict(current)
            changed_fields = [f for f in REGISTER_FIELDS if enterprise[f] != register[f]]
            if "name" in changed_fields:
                enterprise["former_names"] = [
                    *enterprise["former_names"],
                    {"name": enterprise["name"], "until": today.isoformat()},
                ]
            enterprise.update(register)
        # Facts, year by year.
        filed: list[dict[str, Any]] = []
        for row in group:
            if row.facts is None:
                continue
            values = {f: getattr(row.facts, f) for f in FACT_FIELDS}
            old = stored_facts.get((uscc, row.facts.year))
            if old is None:
                record = {
                    "uscc": uscc,
                    "year": row.facts.year,
                    **values,
                    "quality_certifications": [],
                    "source": "import",
                    "version": 1,
                    "filed_at": now,
                    "filed_by": actor,
                }
                new_facts.append(record)
            elif any(old[f] != v for f, v in values.items()):
                record = {
                    **old,
                    **values,
                    "version": old["version"] + 1,
                    "filed_at": now,
                    "filed_by": actor,
                    "source": "import",
                }
                changed_facts.append(record)
            else:
                continue
            stored_facts[(uscc, row.facts.year)] = record
            years_of[uscc].add(row.facts.year)
            filed.append(record)
        # Size class from the latest year the enterprise now has.
        years = years_of[uscc]
        latest = stored_facts[(uscc, max(years))] if years else None
        decision = rules.classify(
            enterprise["industry_code"],
            SizeFigures(
                latest["employees"] if latest else None,
                latest["operating_revenue_fen"] if latest else None,
                latest["total_assets_fen"] if latest else None,
            ),
        )
        new_class = decision.size_class.value if decision.size_class else None
        basis_year = latest["year"] if latest else None
        size_changed = (new_class, basis_year) != (
            enterprise["size_class"],
            enterprise["size_class_year"],
        )
        previous_class = enterprise["size_class"]
        enterprise["size_class"], enterprise["size_class_year"] = new_class, basis_year

        if current is None:
            result.created += 1
            new_enterprises.append(enterprise)
            events.append(registered(uscc, enterprise, version=1, at=now))
        elif changed_fields or size_changed or filed:
            result.updated += 1
            if changed_fields or size_changed:
                enterprise["version"] += 1
                enterprise["updated_at"], enterprise["updated_by"] = now, actor
                changed_enterprises.append(enterprise)
            if changed_fields:
                events.append(
                    updated(
                        uscc,
                        enterprise,
                        version=enterprise["version"],
                        changed_fields=changed_fields,
                        former_names=enterprise["former_names"],
                        at=now,
                    )
                )
        else:
            result.unchanged += 1
            continue
        if current is None or changed_fields or size_changed:
            revisions.append(
                (
                    uscc,
                    enterprise["version"],
                    "imported",
                    _json(_snapshot(enterprise)),
                    now,
                    actor,
                )
            )
        for record in filed:
            previous = stored_facts.get((uscc, record["year"] - 1))
            ratios = _ratios(record, previous)
            facts_revisions.append(
                (
                    uscc,
                    record["year"],
                    record["version"],
                    _json(
                        {
                            **_facts_json(record),
                            "uscc": uscc,
                            "year": record["year"],
                            "version": record["version"],
                        },
                    ),
                    now,
                    actor,
                )
            )
            events.append(
                enterprise_event(
                    FACTS_FILED_V1,
                    uscc,
                    {
                        "uscc": uscc,
                        "year": record["year"],
                        "version": record["version"],
                        "facts": _facts_json(record),
                        "ratios": ratios,
                        "source": "import",
                        "filed_at": now.isoformat(),
                    },
                )
            )
        if size_changed:
            size_records.append(
                (
                    uscc,
                    new_class,
                    basis_year,
                    rules.version,
                    _json(decision.explanation),
                    now,
                )
            )
            if new_class != previous_class:
                events.append(
                    enterprise_event(
                        SIZE_CLASS_CHANGED_V1,
                        uscc,
                        {
                            "uscc": uscc,
                            "size_class": new_class,
                            "previous_size_class": previous_class,
                            "basis_year": basis_year,
                            "rule_version": rules.version,
                            "explanation": decision.explanation,
                            "decided_at": now.isoformat(),
                        },
                    )
                )
        refused = _event_errors(events, group)
        if refused:
            # Nothing of this enterprise is written: drop what the group staged.
            for rows, mark in zip(staged, marks, strict=True):
                del rows[mark:]
            result.created, result.updated = counts
            result.errors.extend(refused)
            continue
        outbox.extend(_outbox_row(e) for e in events)

    await _copy(
        pg,
        "enterprise",
        ENTERPRISE_COLUMNS,
        [
            tuple(_json(e[c]) if c == "former_names" else e[c] for c in ENTERPRISE_COLUMNS)
            for e in new_enterprises
        ],
    )
    if changed_enterprises:
        async with pg.cursor() as cursor:
            await cursor.executemany(
                "UPDATE enterprise SET name = %s, former_names = %s, legal_representative = %s, "
                "region_code = %s, reporting_unit_code = %s, industry_code = %s, founded_on = %s, "
                "operating_status = %s, size_class = %s, size_class_year = %s, version = %s, "
                "updated_at = %s, updated_by = %s WHERE uscc = %s",
                [
                    (
                        e["name"],
                        _json(e["former_names"]),
                        e["legal_representative"],
                        e["region_code"],
                        e["reporting_unit_code"],
                        e["industry_code"],
                        e["founded_on"],
                        e["operating_status"],
                        e["size_class"],
                        e["size_class_year"],
                        e["version"],
                        e["updated_at"],
                        e["updated_by"],
                        e["uscc"],
                    )
                    for e in changed_enterprises
                ],
            )
    await _copy(
        pg,
        "enterprise_revision",
        ("uscc", "version", "change_type", "snapshot", "recorded_at", "recorded_by"),
        revisions,
    )
    await _copy(
        pg,
        "enterprise_facts",
        FACTS_COLUMNS,
        [
            tuple(_json(f[c]) if c == "quality_certifications" else f[c] for c in FACTS_COLUMNS)
            for f in new_facts
        ],
    )
    if changed_facts:
        assignments = ", ".join(
            f"{c} = %s" for c in (*FACT_FIELDS, "source", "version", "filed_at", "filed_by")
        )
        async with pg.cursor() as cursor:
            await cursor.executemany(
                f"UPDATE enterprise_facts SET {assignments} WHERE uscc = %s AND year = %s",
                [
                    (
                        *tuple(
                            f[c]
                            for c in (*FACT_FIELDS, "source", "version", "filed_at", "filed_by")
                        ),
                        f["uscc"],
                        f["year"],
                    )
                    for f in changed_facts
                ],
            )
    await _copy(
        pg,
        "enterprise_facts_revision",
        ("uscc", "year", "version", "snapshot", "recorded_at", "recorded_by"),
        facts_revisions,
    )
    await _copy(
        pg,
        "size_class_record",
        ("uscc", "size_class", "basis_year", "rule_version", "explanation", "decided_at"),
        size_records,
    )
    await _copy(pg, "outbox_message", OUTBOX_COLUMNS, outbox)
    return result
