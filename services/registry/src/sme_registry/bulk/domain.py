"""Planning one chunk of an import, without a database: the validated rows and what the register
holds for their enterprises in, the rows to write and the events to publish out.

The writer (``importer.apply_chunk``) loads the state inside the importer's region scope, calls
``plan_chunk`` and writes the plan with COPY. The same rules as the API hold here, with the API's
own event builders (``enterprises/events.py``, ``facts/events.py``, ``sizing/events.py``), so a
change made by import is announced exactly as the same change made through the API
(``services/registry/tests/test_event_parity.py``):
- a new enterprise is registered at version 1 with the size class its facts decide;
- register fields that differ are changed (a rename keeps the former name until today), the
  version goes up once for the row, and ``updated`` names the fields in name order;
- facts of a year not filed are filed at version 1; facts that differ are corrected (version + 1);
  facts equal to the stored ones change nothing; the source of imported facts is ``import``;
- the size class is decided again from the latest year (工信部联企业〔2011〕300号), recorded when it
  or its basis year changed, announced when the class itself changed;
- a row equal to the register changes nothing (importing a file twice leaves no trace);
- an event its contract refuses stops that enterprise's rows only (``row_not_publishable``).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from pydantic import ValidationError

from sme_common.contracts.base import EventContractError, EventData
from sme_common.contracts.index import EVENT_MODELS
from sme_common.events.envelope import CloudEvent
from sme_common.events.schemas import EventSchemaError, validate_event_data
from sme_registry.bulk.columns import CellError
from sme_registry.enterprises.events import REGISTER_FIELDS, enterprise_event, registered, updated
from sme_registry.facts import domain as facts_domain
from sme_registry.facts.events import facts_filed
from sme_registry.sizing.domain import SizeFigures, SizeRules
from sme_registry.sizing.events import size_class_changed

FACT_FIELDS = tuple(f for f in facts_domain.YearlyFacts.__dataclass_fields__ if f != "year")
IMPORT_SOURCE = "import"  # the provenance imported facts are stamped with

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
    """A row that passed the API's checks (``importer.validate_row``)."""

    row_number: int
    uscc: str
    register: dict[str, Any]
    facts: facts_domain.YearlyFacts | None


@dataclass(frozen=True)
class ChunkState:
    """What the register holds for the chunk's enterprises (the writer reads it, locked)."""

    enterprises: Mapping[str, Mapping[str, Any]]
    """``enterprise`` rows inside the importer's scope, by USCC."""
    elsewhere: frozenset[str]
    """USCCs registered outside the importer's scope: their rows are refused."""
    facts: Mapping[tuple[str, int], Mapping[str, Any]]
    """``enterprise_facts`` rows of the chunk's enterprises, by (USCC, year)."""


class EnterpriseRevision(NamedTuple):
    uscc: str
    version: int
    change_type: str
    snapshot: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


class FactsRevision(NamedTuple):
    uscc: str
    year: int
    version: int
    snapshot: dict[str, Any]
    recorded_at: datetime
    recorded_by: str


class SizeRecord(NamedTuple):
    uscc: str
    size_class: str | None
    basis_year: int | None
    rule_version: str
    explanation: dict[str, Any]
    decided_at: datetime


@dataclass(frozen=True)
class Refusal:
    """An enterprise whose events the contract refused: nothing of it is written."""

    uscc: str
    reference: str  # quoted in the row errors and the log line
    event_type: str
    error: str


@dataclass
class ChunkPlan:
    result: ChunkResult = field(default_factory=ChunkResult)
    new_enterprises: list[dict[str, Any]] = field(default_factory=list)
    changed_enterprises: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[EnterpriseRevision] = field(default_factory=list)
    new_facts: list[dict[str, Any]] = field(default_factory=list)
    changed_facts: list[dict[str, Any]] = field(default_factory=list)
    facts_revisions: list[FactsRevision] = field(default_factory=list)
    size_records: list[SizeRecord] = field(default_factory=list)
    events: list[CloudEvent] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


@dataclass
class _EnterprisePlan:
    """One enterprise's share of the plan, added to it only once its events passed."""

    created: bool
    enterprise: dict[str, Any] | None = None  # the row to insert or update, if it changed
    revision: EnterpriseRevision | None = None
    new_facts: list[dict[str, Any]] = field(default_factory=list)
    changed_facts: list[dict[str, Any]] = field(default_factory=list)
    facts_revisions: list[FactsRevision] = field(default_factory=list)
    size_record: SizeRecord | None = None
    events: list[CloudEvent] = field(default_factory=list)


@dataclass(frozen=True)
class _Context:
    actor: str
    now: datetime
    today: date
    rules: SizeRules


def plan_chunk(
    valid: Sequence[ValidRow],
    state: ChunkState,
    *,
    actor: str,
    now: datetime,
    today: date,
    rules: SizeRules,
) -> ChunkPlan:
    """What writing ``valid`` changes, given ``state``. Several rows of one enterprise (one per
    year) are planned together; the last row's register fields win."""
    plan = ChunkPlan()
    plan.result.errors.extend(
        (row.row_number, REGION_FORBIDDEN) for row in valid if row.uscc in state.elsewhere
    )
    by_uscc: dict[str, list[ValidRow]] = defaultdict(list)
    for row in valid:
        if row.uscc not in state.elsewhere:
            by_uscc[row.uscc].append(row)
    facts_of: dict[str, dict[int, Mapping[str, Any]]] = defaultdict(dict)
    for (uscc, year), stored in state.facts.items():
        facts_of[uscc][year] = stored
    context = _Context(actor, now, today, rules)
    for uscc, group in by_uscc.items():
        try:
            planned = _plan_enterprise(
                uscc, group, state.enterprises.get(uscc), facts_of[uscc], context
            )
        except ValidationError as exc:
            # A builder's model refused the values (what the API's checks let through but the
            # contract does not): where and why, never the values (they may be personal data).
            where = "; ".join(
                f"{'/'.join(str(p) for p in e['loc']) or '(root)'}: {e['type']}"
                for e in exc.errors()
            )
            _refuse(plan, uscc, group, _MODEL_TYPES.get(exc.title, exc.title), where)
            continue
        except (EventSchemaError, EventContractError) as exc:
            event_type = getattr(exc, "event_type", "") or type(exc).__name__
            _refuse(plan, uscc, group, event_type, str(exc))
            continue
        _add(plan, planned)
    return plan


# A ValidationError names its model by the model's title (its class name when it has none).
_MODEL_TYPES = {
    str(model.model_config.get("title") or model.__name__): event_type
    for event_type, model in EVENT_MODELS.items()
}


def _refuse(
    plan: ChunkPlan, uscc: str, group: Sequence[ValidRow], event_type: str, error: str
) -> None:
    reference = secrets.token_hex(6)
    plan.refusals.append(Refusal(uscc, reference, event_type, error))
    cell = CellError(
        "row",
        "row_not_publishable",
        f"the row cannot be announced to the other services (reference {reference})",
        f"该行数据无法发布给其他服务（编号 {reference}）",
    )
    plan.result.errors.extend((row.row_number, cell) for row in group)


def _add(plan: ChunkPlan, planned: _EnterprisePlan | None) -> None:
    if planned is None:
        plan.result.unchanged += 1
        return
    if planned.created:
        plan.result.created += 1
        if planned.enterprise is not None:
            plan.new_enterprises.append(planned.enterprise)
    else:
        plan.result.updated += 1
        if planned.enterprise is not None:
            plan.changed_enterprises.append(planned.enterprise)
    if planned.revision is not None:
        plan.revisions.append(planned.revision)
    plan.new_facts.extend(planned.new_facts)
    plan.changed_facts.extend(planned.changed_facts)
    plan.facts_revisions.extend(planned.facts_revisions)
    if planned.size_record is not None:
        plan.size_records.append(planned.size_record)
    plan.events.extend(planned.events)


def _new_enterprise(uscc: str, register: Mapping[str, Any], context: _Context) -> dict[str, Any]:
    return {
        "uscc": uscc,
        **register,
        "former_names": [],
        "tier": None,
        "size_class": None,
        "size_class_year": None,
        "version": 1,
        "created_at": context.now,
        "updated_at": context.now,
        "created_by": context.actor,
        "updated_by": context.actor,
    }


def _file_facts(
    uscc: str,
    group: Sequence[ValidRow],
    facts: dict[int, Mapping[str, Any]],
    planned: _EnterprisePlan,
    context: _Context,
) -> list[dict[str, Any]]:
    """The years whose facts the rows file or correct, updating ``facts`` (year → row)."""
    filed: list[dict[str, Any]] = []
    for row in group:
        if row.facts is None:
            continue
        values = {f: getattr(row.facts, f) for f in FACT_FIELDS}
        old = facts.get(row.facts.year)
        stamp = {
            "version": 1 if old is None else old["version"] + 1,
            "source": IMPORT_SOURCE,
            "filed_at": context.now,
            "filed_by": context.actor,
        }
        if old is None:
            record = {
                "uscc": uscc,
                "year": row.facts.year,
                **values,
                "quality_certifications": [],
                **stamp,
            }
            planned.new_facts.append(record)
        elif any(old[f] != v for f, v in values.items()):
            record = {**old, **values, **stamp}
            planned.changed_facts.append(record)
        else:
            continue
        facts[row.facts.year] = record
        filed.append(record)
    return filed


def _plan_enterprise(
    uscc: str,
    group: Sequence[ValidRow],
    current: Mapping[str, Any] | None,
    stored_facts: Mapping[int, Mapping[str, Any]],
    context: _Context,
) -> _EnterprisePlan | None:
    """None when the rows change nothing."""
    register = group[-1].register
    planned = _EnterprisePlan(created=current is None)
    if current is None:
        enterprise = _new_enterprise(uscc, register, context)
        changed_fields: list[str] = []
    else:
        enterprise = dict(current)
        changed_fields = [f for f in REGISTER_FIELDS if enterprise[f] != register[f]]
        if "name" in changed_fields:
            enterprise["former_names"] = [
                *enterprise["former_names"],
                {"name": enterprise["name"], "until": context.today.isoformat()},
            ]
        enterprise.update(register)
    facts = dict(stored_facts)
    filed = _file_facts(uscc, group, facts, planned, context)

    # The size class, from the latest year the enterprise now has.
    latest = facts[max(facts)] if facts else None
    decision = context.rules.classify(
        enterprise["industry_code"],
        SizeFigures(
            latest["employees"] if latest else None,
            latest["operating_revenue_fen"] if latest else None,
            latest["total_assets_fen"] if latest else None,
        ),
    )
    new_class = decision.size_class.value if decision.size_class else None
    basis_year = latest["year"] if latest else None
    previous_class = enterprise["size_class"]
    size_changed = (new_class, basis_year) != (previous_class, enterprise["size_class_year"])
    enterprise["size_class"], enterprise["size_class_year"] = new_class, basis_year

    payloads: list[EventData] = []
    if current is None:
        planned.enterprise = enterprise
        payloads.append(registered(uscc, enterprise, version=1, at=context.now))
    elif not (changed_fields or size_changed or filed):
        return None
    elif changed_fields or size_changed:
        enterprise["version"] += 1
        enterprise["updated_at"], enterprise["updated_by"] = context.now, context.actor
        planned.enterprise = enterprise
    if changed_fields:
        payloads.append(
            updated(
                uscc,
                enterprise,
                version=enterprise["version"],
                changed_fields=changed_fields,
                former_names=enterprise["former_names"],
                at=context.now,
            )
        )
    if planned.enterprise is not None:
        planned.revision = EnterpriseRevision(
            uscc,
            enterprise["version"],
            "imported",
            snapshot(enterprise),
            context.now,
            context.actor,
        )
    for record in filed:
        previous = facts.get(record["year"] - 1)
        planned.facts_revisions.append(
            FactsRevision(
                uscc,
                record["year"],
                record["version"],
                {
                    **_facts_snapshot(record),
                    "uscc": uscc,
                    "year": record["year"],
                    "version": record["version"],
                },
                context.now,
                context.actor,
            )
        )
        payloads.append(
            facts_filed(
                uscc,
                year=record["year"],
                version=record["version"],
                facts=record,
                ratios=facts_domain.derive_ratios(
                    _yearly(record), _yearly(previous) if previous else None
                ),
                at=context.now,
            )
        )
    if size_changed:
        planned.size_record = SizeRecord(
            uscc, new_class, basis_year, context.rules.version, decision.explanation, context.now
        )
        if new_class != previous_class:
            payloads.append(
                size_class_changed(
                    uscc,
                    decision=decision,
                    previous_size_class=previous_class,
                    basis_year=basis_year,
                    rule_version=context.rules.version,
                    at=context.now,
                )
            )
    planned.events = [_publishable(payload) for payload in payloads]
    return planned


def _publishable(payload: EventData) -> CloudEvent:
    """The event, checked against its JSON Schema as well as its model: bulk events skip
    ``UnitOfWork.publish``, which checks every other event."""
    event = enterprise_event(payload)
    validate_event_data(event.type, event.data)
    return event


def snapshot(enterprise: Mapping[str, Any]) -> dict[str, Any]:
    """The enterprise as its revision keeps it (the API's ``snapshot``, from a row dict)."""
    return {
        "uscc": enterprise["uscc"],
        "name": enterprise["name"],
        "former_names": enterprise["former_names"],
        "legal_representative": enterprise["legal_representative"],
        "region_code": enterprise["region_code"],
        "reporting_unit_code": enterprise["reporting_unit_code"],
        "industry_code": enterprise["industry_code"],
        "founded_on": enterprise["founded_on"].isoformat() if enterprise["founded_on"] else None,
        "operating_status": enterprise["operating_status"],
        "tier": enterprise["tier"],
        "size_class": enterprise["size_class"],
        "size_class_year": enterprise["size_class_year"],
        "version": enterprise["version"],
        "created_at": enterprise["created_at"].isoformat(),
        "updated_at": enterprise["updated_at"].isoformat(),
    }


def _facts_snapshot(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in (*FACT_FIELDS, "quality_certifications", "source")}


def _yearly(record: Mapping[str, Any]) -> facts_domain.YearlyFacts:
    return facts_domain.YearlyFacts(year=record["year"], **{f: record[f] for f in FACT_FIELDS})
