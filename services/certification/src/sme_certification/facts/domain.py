"""What the rule engine reads, put together from the registry's facts and the applicant's declared
values (pure: no database, no HTTP).

Registry holds the yearly figures, the credit flags and the size class; the engine also reads facts
registry does not keep yet (honours, awards, the R&D institution, the leading product's field, the
national quality score, market share, held titles, which Ⅰ类 IP the firm holds among the first
three right-holders). Those come from the application as *declared values* backed by evidence
documents. A declared value never replaces a figure registry has: registry's figure is the record,
the declaration only fills what it lacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sme_certification.rules.facts import (
    YEAR_FIELDS,
    EvaluationInput,
    ProductField,
    QualityItem,
    RuleInputError,
)
from sme_common.rules import RuleViolation

# The parts of ``EvaluationInput`` an applicant declares (registry has none of them yet).
DECLARABLE = frozenset(
    {
        "held_titles",
        "honours",
        "awards",
        "rd_institution_level",
        "leading_product_fields",
        "quality_items",
        "market_share_ratio",
        "domestic_market_rank",
        "quality_scores",
        "local_indicators",
    }
)
YEAR_VALUES = "year_values"
"""Declared per-year figures registry lacks (``{"2025": {"ip_class1_own_top3": 4}}``)."""


@dataclass(frozen=True, slots=True)
class FiledYear:
    year: int
    facts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class KnownFlag:
    kind: str
    started_on: date
    ended_on: date | None


def _year_row(filed: FiledYear, declared: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"year": filed.year}
    for name in YEAR_FIELDS - {"year"}:
        value = filed.facts.get(name)
        row[name] = value if value is not None else declared.get(name)
    return row


def _registry_vocabulary(years: Iterable[FiledYear]) -> tuple[list[str], list[str]]:
    """Registry keeps the leading product's field and quality certifications as text; the latest
    year's values that are words of the engine's vocabularies are read, others are left to the
    declaration."""
    latest = max(years, key=lambda y: y.year, default=None)
    if latest is None:
        return [], []
    fields = {str(latest.facts.get("leading_product_field") or "")} & set(ProductField)
    items = {str(v) for v in latest.facts.get("quality_certifications") or []} & set(QualityItem)
    return sorted(fields), sorted(items)


def evaluation_input(
    *,
    uscc: str,
    years: Iterable[FiledYear],
    size_class: str | None,
    flags: Iterable[KnownFlag],
    declared: Mapping[str, Any],
) -> EvaluationInput:
    """The engine's input; a declared value it cannot read is a 422 naming the field
    (``declared.awards[0].awarded_on``)."""
    years = list(years)
    year_values = declared.get(YEAR_VALUES) or {}
    raw: dict[str, Any] = {
        "uscc": uscc,
        "years": [_year_row(y, year_values.get(str(y.year)) or {}) for y in years],
        "size_class": size_class,
        "flags": [
            {
                "kind": f.kind,
                "started_on": f.started_on.isoformat(),
                "ended_on": None if f.ended_on is None else f.ended_on.isoformat(),
            }
            for f in flags
        ],
    }
    filed_years = {y.year for y in years}
    for year, values in sorted(year_values.items()):
        if int(year) not in filed_years:
            raw["years"].append({"year": int(year), **values})
    product_fields, quality_items = _registry_vocabulary(years)
    if product_fields:
        raw["leading_product_fields"] = product_fields
    if quality_items:
        raw["quality_items"] = quality_items
    for key in DECLARABLE:
        if declared.get(key) is None:
            continue
        if key in ("leading_product_fields", "quality_items"):
            raw[key] = sorted({*raw.get(key, []), *declared[key]})
        else:
            raw[key] = declared[key]
    try:
        return EvaluationInput.from_dict(raw)
    except RuleInputError as error:
        raise RuleViolation(
            f"declared_{error.code}",
            f"Declared values: {error.detail}",
            f"申报填写的数据有误：{error.detail_zh}",
            field=f"declared.{error.field}" if error.field else "declared",
        ) from None
