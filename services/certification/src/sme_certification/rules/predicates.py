"""Tests a rule can make, compiled once from the rule data and then evaluated per application.

The JSON forms (``docs/certification-rules.md`` lists them all):

* ``{"test": "compare", "metric": …, "window": …, "op": "gte|gt|lte|lt", <unit>: threshold}`` with
  the unit named by the key: ``wan`` (万元, for fen figures), ``ratio``, ``count``, ``score``, or
  ``value`` (a provincial ``local:<id>`` indicator)
* ``{"test": "holds_title", "tiers": […], "levels": […]}`` — a title valid on the filing date
* ``{"test": "honour", "kinds": […]}`` — an honour valid on the filing date
* ``{"test": "award", "kinds": […], "levels": […], "max_rank": n, "within_years": n}``
* ``{"test": "rd_institution", "min_level": …}``
* ``{"test": "product_field", "fields": […]}``
* ``{"test": "quality_item", "items": […]}``
* ``{"test": "confirmed", "item": …}`` — a qualitative item an officer confirms
* ``{"test": "size_class", "in": […]}``
* ``{"test": "flag_clear", "flags": […], "rule": "active|within_years|ban_years", "years": n}``
* ``{"all_of": […]}``, ``{"any_of": […]}``

Results are three-valued: True, False, or None when a fact the test needs is missing ("以上/以下"
include the boundary, 民法典第1259条; "超过/不满" exclude it: the data says which with the op).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sme_certification.rules.explanation import Check, FactRead
from sme_certification.rules.facts import (
    RD_INSTITUTION_RANK,
    Application,
    AwardKind,
    AwardLevel,
    EvaluationInput,
    FlagKind,
    HonourKind,
    Level,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
)
from sme_certification.rules.metrics import (
    UNDEFINED,
    Metric,
    Num,
    Reading,
    Value,
    decimal_num,
    metric_named,
    shown,
)

WAN_FEN = 1_000_000  # 1 万元 = 1,000,000 fen
UNDEFINED_NOTE = "undefined: zero denominator"


class RuleDataError(ValueError):
    """Rule data that cannot be compiled; ``path`` says where (e.g. ``tiers.specialised.conditions[2]``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path, self.message = path, message


class Context:
    """One evaluation: the facts, the application, and the figures already read (read once)."""

    __slots__ = ("application", "facts", "filed_on", "memo", "year")

    def __init__(self, facts: EvaluationInput, application: Application) -> None:
        self.facts = facts
        self.application = application
        self.filed_on = application.filed_on
        self.year = application.filed_on.year
        self.memo: dict[tuple[str, int], Reading] = {}

    def read(self, metric: Metric, year: int) -> Reading:
        """The metric's value for the year and the facts behind it (led by the derived value)."""
        key = (metric.name, year)
        found = self.memo.get(key)
        if found is None:
            value, read = metric.read(self.facts, year)
            found = self.memo[key] = (
                value,
                _with_value(metric, year if metric.yearly else None, value, read),
            )
        return found


class Test(Protocol):
    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        """The result; appends one ``Check`` per leaf it evaluated."""

    def leaves(self) -> Sequence[Test]:
        """Leaf tests (for validation: e.g. which confirmations a rule set asks for)."""


def years_before(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


# --- comparisons of figures ------------------------------------------------------------------

OPS = {"gte": "≥", "gt": ">", "lte": "≤", "lt": "<"}
UNIT_OF_THRESHOLD = {
    "wan": "fen",
    "ratio": "ratio",
    "count": "count",
    "score": "score",
    "value": "number",
}
WINDOWS = {
    "latest": 1,
    "each_of_last_2": 2,
    "any_of_last_2": 2,
    "sum_of_last_2": 2,
    "sum_of_last_3": 3,
    "mean_of_last_2": 2,
}


def _window_label(window: str, anchor: int) -> str:
    if window == "latest":
        return "上年度" if anchor == -1 else "本年度" if anchor == 0 else f"第{anchor}年"
    return {
        "each_of_last_2": "近2年每年",
        "any_of_last_2": "近2年任一年",
        "sum_of_last_2": "近2年合计",
        "sum_of_last_3": "近3年合计",
        "mean_of_last_2": "近2年平均",
    }[window]


def _compare(value: Value, op: str, threshold: Num) -> bool | None:
    if value is None:
        return None
    if value is UNDEFINED:
        return False
    assert isinstance(value, tuple)
    left, right = value[0] * threshold[1], threshold[0] * value[1]
    if op == "gte":
        return left >= right
    if op == "gt":
        return left > right
    if op == "lte":
        return left <= right
    return left < right


@dataclass(frozen=True, slots=True)
class Compare:
    metric: Metric
    window: str
    op: str
    threshold: Num
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        metric = self.metric
        latest = ctx.year + metric.anchor
        if self.window == "latest":
            value, read = ctx.read(metric, latest)
            result = _compare(value, self.op, self.threshold)
            checks.append(
                Check(
                    self.requirement,
                    result,
                    read,
                    UNDEFINED_NOTE if value is UNDEFINED else None,
                )
            )
            return result
        years = range(latest, latest - WINDOWS[self.window], -1)
        readings = [ctx.read(metric, y) for y in years]
        facts: list[FactRead] = []
        if self.window in ("each_of_last_2", "any_of_last_2"):
            results = []
            for value, read in readings:
                results.append(_compare(value, self.op, self.threshold))
                facts.extend(read)
            result = all3(results) if self.window == "each_of_last_2" else any3(results)
            checks.append(Check(self.requirement, result, tuple(facts)))
            return result
        total: Value = (0, 1)
        for value, read in readings:
            facts.extend(read)
            if value is None or total is None:
                total = None
            else:
                assert isinstance(value, tuple) and isinstance(total, tuple)
                total = (total[0] + value[0], 1)
        if total is not None and self.window.startswith("mean"):
            assert isinstance(total, tuple)
            total = (total[0], len(readings))
        result = _compare(total, self.op, self.threshold)
        facts.insert(0, FactRead(None, f"{metric.name} ({self.window})", shown(total, metric.unit)))
        checks.append(Check(self.requirement, result, tuple(facts)))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


def _with_value(
    metric: Metric, year: int | None, value: Value, read: tuple[FactRead, ...]
) -> tuple[FactRead, ...]:
    """The facts read, led by the derived value when the metric is a derived one."""
    if len(read) == 1 and read[0].name == metric.name:
        return read
    return (FactRead(year, metric.name, shown(value, metric.unit)), *read)


def all3(results: Sequence[bool | None]) -> bool | None:
    if False in results:
        return False
    return None if None in results else True


def any3(results: Sequence[bool | None]) -> bool | None:
    if True in results:
        return True
    return None if None in results else False


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Test, ...]

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        # Every part is evaluated, so a failure lists everything that is short, not only the first.
        return all3([part.evaluate(ctx, checks) for part in self.parts])

    def leaves(self) -> Sequence[Test]:
        return [leaf for part in self.parts for leaf in part.leaves()]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Test, ...]

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        results = []
        for part in self.parts:
            result = part.evaluate(ctx, checks)
            if result is True:
                return True
            results.append(result)
        return any3(results)

    def leaves(self) -> Sequence[Test]:
        return [leaf for part in self.parts for leaf in part.leaves()]


# --- titles, honours, awards, qualitative facts ----------------------------------------------


@dataclass(frozen=True, slots=True)
class HoldsTitle:
    tiers: frozenset[Tier]
    levels: frozenset[Level] | None
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        held = [
            t
            for t in ctx.facts.held_titles
            if t.tier in self.tiers and (self.levels is None or t.level in self.levels)
        ]
        valid = [t for t in held if t.valid_on(ctx.filed_on)]
        shown_titles = tuple(
            FactRead(
                None,
                f"held_title:{t.tier.value}:{t.level.value}",
                f"{t.issued_on.isoformat()}..{t.expires_on.isoformat()}"
                + (f" revoked {t.revoked_on.isoformat()}" if t.revoked_on else "")
                + (" re-review pending" if t.re_review_pending else "")
                + (f" (certificate {t.certificate})" if t.certificate else " (declared)"),
            )
            for t in held
        ) or (FactRead(None, "held_titles", None),)
        result = bool(valid)
        checks.append(Check(self.requirement, result, shown_titles))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class HonourValid:
    kinds: frozenset[HonourKind]
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        held = [h for h in ctx.facts.honours if h.kind in self.kinds]
        result = any(h.valid_on(ctx.filed_on) for h in held)
        facts = tuple(
            FactRead(None, f"honour:{h.kind.value}", f"{h.valid_from.isoformat()}..{h.valid_until}")
            for h in held
        ) or (FactRead(None, "honours", None),)
        checks.append(Check(self.requirement, result, facts))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class AwardWithin:
    kinds: frozenset[AwardKind]
    levels: frozenset[AwardLevel]
    max_rank: int | None
    within_years: int
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        since = years_before(ctx.filed_on, self.within_years)
        candidates = [
            a
            for a in ctx.facts.awards
            if a.kind in self.kinds
            and a.level in self.levels
            and since <= a.awarded_on <= ctx.filed_on
        ]
        results: list[bool | None] = []
        for award in candidates:
            if self.max_rank is None:
                results.append(True)
            else:
                results.append(None if award.rank is None else award.rank <= self.max_rank)
        result = any3(results) if results else False
        facts = tuple(
            FactRead(
                None,
                f"award:{a.kind.value}:{a.level.value}",
                f"{a.awarded_on.isoformat()} rank {a.rank}",
            )
            for a in candidates
        ) or (FactRead(None, "awards", None),)
        checks.append(Check(self.requirement, result, facts))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class RdInstitutionAtLeast:
    min_level: RdInstitutionLevel
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        level = ctx.facts.rd_institution_level
        result = (
            None
            if level is None
            else RD_INSTITUTION_RANK[level] >= RD_INSTITUTION_RANK[self.min_level]
        )
        checks.append(
            Check(
                self.requirement,
                result,
                (FactRead(None, "rd_institution_level", None if level is None else level.value),),
            )
        )
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class ProductFieldIn:
    fields: frozenset[ProductField]
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        declared = ctx.facts.leading_product_fields
        result = None if declared is None else not declared.isdisjoint(self.fields)
        value = None if declared is None else ",".join(sorted(f.value for f in declared))
        checks.append(
            Check(self.requirement, result, (FactRead(None, "leading_product_fields", value),))
        )
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class QualityItemIn:
    items: frozenset[QualityItem]
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        declared = ctx.facts.quality_items
        result = None if declared is None else not declared.isdisjoint(self.items)
        value = None if declared is None else ",".join(sorted(i.value for i in declared))
        checks.append(Check(self.requirement, result, (FactRead(None, "quality_items", value),)))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class Confirmed:
    item: str
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        result = ctx.facts.confirmations.get(self.item)
        checks.append(
            Check(
                self.requirement,
                result,
                (FactRead(None, f"confirmation:{self.item}", result),),
                "awaits an officer's confirmation" if result is None else None,
            )
        )
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class SizeClassIn:
    classes: frozenset[str]
    requirement: str

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        size = ctx.facts.size_class
        result = None if size is None else size in self.classes
        checks.append(Check(self.requirement, result, (FactRead(None, "size_class", size),)))
        return result

    def leaves(self) -> Sequence[Test]:
        return (self,)


@dataclass(frozen=True, slots=True)
class FlagClear:
    """True when no flag of these kinds bars the application on its filing date.

    ``active``: a flag in force on the day (registry's rule: from its start, up to, not including,
    its end). ``within_years``: an event (e.g. an accident) dated in the N years up to the day,
    inclusive, whether or not the flag has since been lifted. ``ban_years``: a ban running N years
    from the finding, unless the flag was lifted earlier by decision.
    """

    flags: frozenset[str]
    rule: str
    years: int
    requirement: str

    def barred_by(self, ctx: Context) -> list[str]:
        day = ctx.filed_on
        barring = []
        for flag in ctx.facts.flags:
            if flag.kind not in self.flags or flag.started_on > day:
                continue
            if flag.ended_on is not None and flag.ended_on <= flag.started_on:
                continue  # never in force
            if self.rule == "active":
                bars = flag.ended_on is None or day < flag.ended_on
            elif self.rule == "within_years":
                bars = flag.started_on >= years_before(day, self.years)
            else:
                bars = day < _years_after(flag.started_on, self.years) and (
                    flag.ended_on is None or day < flag.ended_on
                )
            if bars:
                barring.append(f"{flag.kind} {flag.started_on.isoformat()}")
        return barring

    def evaluate(self, ctx: Context, checks: list[Check]) -> bool | None:
        barring = self.barred_by(ctx)
        facts = tuple(FactRead(None, "flag", text) for text in barring) or (
            FactRead(None, "flags", "none barring"),
        )
        checks.append(Check(self.requirement, not barring, facts))
        return not barring

    def leaves(self) -> Sequence[Test]:
        return (self,)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, month=3, day=1)


# --- compiling the JSON forms ------------------------------------------------------------------


def _need(raw: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in raw:
        raise RuleDataError(path, f"'{key}' is required")
    return raw[key]


def _only(raw: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise RuleDataError(path, f"unknown key '{extra[0]}'")


def _members(kind: Any, values: Any, path: str) -> frozenset[Any]:
    if not isinstance(values, list) or not values:
        raise RuleDataError(path, "a non-empty list is required")
    try:
        return frozenset(kind(v) for v in values)
    except ValueError as error:
        raise RuleDataError(path, str(error)) from None


def _decimal(value: Any, path: str) -> Decimal:
    if isinstance(value, float | bool):
        raise RuleDataError(path, "write decimals as strings or integers, never floats")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise RuleDataError(path, f"{value!r} is not a decimal") from None
    if not result.is_finite():
        raise RuleDataError(path, "not a finite decimal")
    return result


def _threshold_text(key: str, amount: Decimal) -> str:
    if key == "wan":
        return f"{amount}万元"
    if key == "ratio":
        return f"{(amount * 100).normalize():f}%"
    return f"{amount}"


def compile_compare(raw: Mapping[str, Any], path: str) -> Compare:
    _only(raw, {"test", "metric", "window", "op", *UNIT_OF_THRESHOLD}, path)
    metric = metric_named(str(_need(raw, "metric", path)))
    if metric is None:
        raise RuleDataError(path, f"unknown metric {raw['metric']!r}")
    window = raw.get("window", "latest")
    if window not in WINDOWS:
        raise RuleDataError(path, f"unknown window {window!r}")
    if window != "latest" and not metric.yearly:
        raise RuleDataError(path, f"{metric.name} is not yearly: only the latest value exists")
    if window.startswith(("sum", "mean")) and not metric.summable:
        raise RuleDataError(path, f"{metric.name} cannot be summed or averaged over years")
    op = _need(raw, "op", path)
    if op not in OPS:
        raise RuleDataError(path, f"unknown op {op!r}")
    keys = [k for k in UNIT_OF_THRESHOLD if k in raw]
    if len(keys) != 1:
        raise RuleDataError(path, "exactly one of wan, ratio, count, score, value is required")
    key = keys[0]
    if UNIT_OF_THRESHOLD[key] != metric.unit:
        raise RuleDataError(path, f"{metric.name} is in {metric.unit}; '{key}' does not fit it")
    amount = _decimal(raw[key], f"{path}.{key}")
    threshold = decimal_num(amount * WAN_FEN) if key == "wan" else decimal_num(amount)
    requirement = (
        f"{metric.name_zh} {metric.name} [{_window_label(window, metric.anchor)}] "
        f"{OPS[op]} {_threshold_text(key, amount)}"
    )
    return Compare(metric, window, op, threshold, requirement)


def compile_test(raw: Any, path: str) -> Test:
    """Compile one JSON test (see the module docstring); errors name the path."""
    if not isinstance(raw, Mapping):
        raise RuleDataError(path, "a test is an object")
    for combinator, cls in (("all_of", AllOf), ("any_of", AnyOf)):
        if combinator in raw:
            _only(raw, {combinator}, path)
            parts = raw[combinator]
            if not isinstance(parts, list) or not parts:
                raise RuleDataError(path, f"'{combinator}' takes a non-empty list")
            compiled = tuple(
                compile_test(part, f"{path}.{combinator}[{i}]") for i, part in enumerate(parts)
            )
            return cls(compiled)
    kind = _need(raw, "test", path)
    if kind == "compare":
        return compile_compare(raw, path)
    if kind == "holds_title":
        _only(raw, {"test", "tiers", "levels"}, path)
        tiers = _members(Tier, _need(raw, "tiers", path), f"{path}.tiers")
        levels = _members(Level, raw["levels"], f"{path}.levels") if "levels" in raw else None
        return HoldsTitle(
            tiers,
            levels,
            "持有有效称号 valid title: "
            + "/".join(sorted(tiers))
            + ("" if levels is None else " (" + "/".join(sorted(levels)) + ")"),
        )
    if kind == "honour":
        _only(raw, {"test", "kinds"}, path)
        kinds = _members(HonourKind, _need(raw, "kinds", path), f"{path}.kinds")
        return HonourValid(kinds, "有效期内荣誉 valid honour: " + "/".join(sorted(kinds)))
    if kind == "award":
        _only(raw, {"test", "kinds", "levels", "max_rank", "within_years"}, path)
        kinds = _members(AwardKind, _need(raw, "kinds", path), f"{path}.kinds")
        levels = _members(AwardLevel, _need(raw, "levels", path), f"{path}.levels")
        max_rank = raw.get("max_rank")
        years = _need(raw, "within_years", path)
        if not isinstance(years, int) or years < 1:
            raise RuleDataError(path, "within_years is a positive integer")
        if max_rank is not None and (not isinstance(max_rank, int) or max_rank < 1):
            raise RuleDataError(path, "max_rank is a positive integer")
        return AwardWithin(
            kinds,
            levels,
            max_rank,
            years,
            f"近{years}年 award {'/'.join(sorted(kinds))} at {'/'.join(sorted(levels))} level"
            + ("" if max_rank is None else f", ranked ≤ {max_rank}"),
        )
    if kind == "rd_institution":
        _only(raw, {"test", "min_level"}, path)
        try:
            level = RdInstitutionLevel(_need(raw, "min_level", path))
        except ValueError as error:
            raise RuleDataError(path, str(error)) from None
        return RdInstitutionAtLeast(level, f"研发机构级别 R&D institution ≥ {level.value}")
    if kind == "product_field":
        _only(raw, {"test", "fields"}, path)
        fields_ = _members(ProductField, _need(raw, "fields", path), f"{path}.fields")
        return ProductFieldIn(fields_, "主导产品所属领域 in " + "/".join(sorted(fields_)))
    if kind == "quality_item":
        _only(raw, {"test", "items"}, path)
        items = _members(QualityItem, _need(raw, "items", path), f"{path}.items")
        return QualityItemIn(items, "has one of " + "/".join(sorted(items)))
    if kind == "confirmed":
        _only(raw, {"test", "item"}, path)
        item = _need(raw, "item", path)
        if not isinstance(item, str) or not item:
            raise RuleDataError(path, "item is a non-empty string")
        return Confirmed(item, f"officer confirms: {item}")
    if kind == "size_class":
        _only(raw, {"test", "in"}, path)
        classes = _need(raw, "in", path)
        if not isinstance(classes, list) or not classes:
            raise RuleDataError(path, "'in' takes a non-empty list")
        return SizeClassIn(frozenset(map(str, classes)), "划型 size class in " + "/".join(classes))
    if kind == "flag_clear":
        _only(raw, {"test", "flags", "rule", "years"}, path)
        flags = _members(FlagKind, _need(raw, "flags", path), f"{path}.flags")
        rule = _need(raw, "rule", path)
        if rule not in ("active", "within_years", "ban_years"):
            raise RuleDataError(path, f"unknown flag rule {rule!r}")
        years = raw.get("years", 0)
        if rule != "active" and (not isinstance(years, int) or years < 1):
            raise RuleDataError(path, "years is a positive integer for this rule")
        text = {
            "active": "no flag in force",
            "within_years": f"no flag dated in the last {years} years",
            "ban_years": f"no {years}-year ban running",
        }[rule]
        return FlagClear(
            frozenset(f.value for f in flags),
            rule,
            years,
            f"{text}: " + "/".join(sorted(f.value for f in flags)),
        )
    raise RuleDataError(path, f"unknown test {kind!r}")
