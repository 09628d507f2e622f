"""Importing rows: each row through the API's own checks, then one chunk written in one
transaction, with COPY for speed.

Per chunk: validate every row as the API does (its request models, then its domain rules and the
importer's region scope: ``validate``); load what the register already has for those enterprises
inside that scope; let the pure planner (``domain.plan_chunk``) work out what is new, what changed
and what is the same, and build every event with the API's builders; then write rows, revisions and
outbox events with COPY (``apply_chunk``). Rows that match the register exactly change nothing, so
importing the same file twice leaves the register, its versions and its events as they were.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from sme_common.events.outbox import outbox_row
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation
from sme_registry.bulk.columns import TITLES_ZH, CellError, column_of, has_facts
from sme_registry.bulk.domain import (
    FACT_FIELDS,
    REGION_FORBIDDEN,
    ChunkPlan,
    ChunkResult,
    ChunkState,
    EnterpriseRevision,
    FactsRevision,
    SizeRecord,
    ValidRow,
    plan_chunk,
)
from sme_registry.dependencies import Year
from sme_registry.enterprises import domain as enterprise_domain
from sme_registry.enterprises.events import ENTERPRISE_TOPIC
from sme_registry.enterprises.models import Enterprise
from sme_registry.enterprises.repository import in_scope
from sme_registry.enterprises.schemas import EnterpriseCreate
from sme_registry.facts import domain as facts_domain
from sme_registry.facts.schemas import FactsWrite
from sme_registry.sizing.domain import load_size_rules

__all__ = ["ChunkResult", "ValidRow", "apply_chunk", "validate"]

log = structlog.get_logger(__name__)
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


async def apply_chunk(
    session: AsyncSession,
    valid: Sequence[ValidRow],
    *,
    scope: RegionScope,
    actor: str,
    now: datetime,
    today: date,
    public_base_url: str | None = None,
) -> ChunkResult:
    """Write one validated chunk; the caller commits the session.

    Reads what the register holds for the chunk's enterprises, has ``domain.plan_chunk`` work out
    the changes and their events, and writes them with COPY. Only enterprises inside ``scope``
    (the importer's region) are read and changed: the scope is part of the query. A row whose
    enterprise exists outside it is refused as region_forbidden. ``public_base_url`` makes the
    events' ``dataschema`` absolute, as ``UnitOfWork.commit`` does for the API's.
    """
    if not valid:
        return ChunkResult()
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    pg: psycopg.AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
    state = await _load_state(session, pg, valid, scope)
    plan = plan_chunk(valid, state, actor=actor, now=now, today=today, rules=load_size_rules())
    for refusal in plan.refusals:
        log.error(
            "import_event_invalid",
            error_id=refusal.reference,
            event_type=refusal.event_type,
            error=refusal.error,
        )
    await _write(pg, plan, public_base_url)
    return plan.result


async def _load_state(
    session: AsyncSession,
    pg: psycopg.AsyncConnection[Any],
    valid: Sequence[ValidRow],
    scope: RegionScope,
) -> ChunkState:
    """The chunk's enterprises inside ``scope`` (locked, in USCC order), those outside it, and
    their stored facts."""
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
    elsewhere = frozenset(
        (
            await session.execute(
                select(table.c.uscc).where(table.c.uscc.in_(usccs), ~in_scope(scope))
            )
        ).scalars()
    )
    inside = [u for u in usccs if u not in elsewhere]
    stored_facts = {
        (f["uscc"], f["year"]): f
        for f in await _fetch(pg, "SELECT * FROM enterprise_facts WHERE uscc = ANY(%s)", (inside,))
    }
    return ChunkState(enterprises=existing, elsewhere=elsewhere, facts=stored_facts)


def _outbox_row(event: CloudEvent, public_base_url: str | None) -> tuple[Any, ...]:
    row = outbox_row(ENTERPRISE_TOPIC, event.with_public_base_url(public_base_url))
    return tuple(_json(row[c]) if c == "headers" else row[c] for c in OUTBOX_COLUMNS)


async def _write(
    pg: psycopg.AsyncConnection[Any], plan: ChunkPlan, public_base_url: str | None
) -> None:
    await _copy(
        pg,
        "enterprise",
        ENTERPRISE_COLUMNS,
        [
            tuple(_json(e[c]) if c == "former_names" else e[c] for c in ENTERPRISE_COLUMNS)
            for e in plan.new_enterprises
        ],
    )
    if plan.changed_enterprises:
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
                    for e in plan.changed_enterprises
                ],
            )
    await _copy(
        pg,
        "enterprise_revision",
        EnterpriseRevision._fields,
        [(*r[:3], _json(r.snapshot), *r[4:]) for r in plan.revisions],
    )
    await _copy(
        pg,
        "enterprise_facts",
        FACTS_COLUMNS,
        [
            tuple(_json(f[c]) if c == "quality_certifications" else f[c] for c in FACTS_COLUMNS)
            for f in plan.new_facts
        ],
    )
    if plan.changed_facts:
        assigned = (*FACT_FIELDS, "source", "version", "filed_at", "filed_by")
        assignments = ", ".join(f"{c} = %s" for c in assigned)
        async with pg.cursor() as cursor:
            await cursor.executemany(
                f"UPDATE enterprise_facts SET {assignments} WHERE uscc = %s AND year = %s",
                [(*(f[c] for c in assigned), f["uscc"], f["year"]) for f in plan.changed_facts],
            )
    await _copy(
        pg,
        "enterprise_facts_revision",
        FactsRevision._fields,
        [(*r[:3], _json(r.snapshot), *r[4:]) for r in plan.facts_revisions],
    )
    await _copy(
        pg,
        "size_class_record",
        SizeRecord._fields,
        [(*r[:4], _json(r.explanation), r.decided_at) for r in plan.size_records],
    )
    await _copy(
        pg, "outbox_message", OUTBOX_COLUMNS, [_outbox_row(e, public_base_url) for e in plan.events]
    )
