"""Rule sets as data: loading, validating and compiling them, and applying provincial overlays.

Three kinds of document live in ``data/`` (JSON, one file each, every one with an ``id`` and a
``version``):

* a **national rule set** (``kind: national``): general exclusions and conditions, and per tier its
  prerequisites, conditions, direct routes and scoring table; a tier may say it is the ``same_as``
  another rule set's tier (2号文第三十条 keeps 63号附件1 for tier 1);
* a **provincial overlay** (``kind: overlay``): for one province, level and tiers, on named national
  rule sets, it adds or replaces criteria by id and may fill the local 特色化 dimension;
* the **selection** (``kind: selection``): which national rule set an application is judged by,
  by tier, application kind and filing date (policy-facts §1.1).

Every criterion names its sources (document and article) and a ``verification`` label as
policy-facts uses them (verified_primary, verified_secondary, unverified). Unverified numbers stay
in the data, marked, so that an officer can correct them by loading an edited document
(``RuleCatalog.from_documents``) without a release; the explanation then carries the edited
document's fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from sme_certification.rules.explanation import (
    Check,
    CriterionKind,
    CriterionResult,
    DimensionScore,
    RuleSetRef,
    ScoreSummary,
)
from sme_certification.rules.facts import Application, ApplicationKind, Level, Tier
from sme_certification.rules.metrics import Metric, metric_named
from sme_certification.rules.predicates import (
    Confirmed,
    Context,
    RuleDataError,
    Test,
    compile_test,
)

VERIFICATION_LABELS = ("verified_primary", "verified_secondary", "unverified")
ALL_KINDS = frozenset(ApplicationKind)


def fingerprint(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def reference(document: Mapping[str, Any]) -> RuleSetRef:
    return RuleSetRef(
        str(document["id"]),
        str(document["version"]),
        fingerprint(document),
        str(document.get("title_zh", "")),
    )


# --- compiled criteria -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    kind: CriterionKind
    name_zh: str
    sources: tuple[str, ...]
    verification: str
    applies_to: frozenset[ApplicationKind]
    test: Test
    note: str | None

    def evaluate(self, ctx: Context) -> CriterionResult:
        checks: list[Check] = []
        result = self.test.evaluate(ctx, checks)
        return CriterionResult(
            self.id,
            self.kind,
            self.name_zh,
            self.sources,
            self.verification,
            result,
            tuple(checks),
            note=self.note,
        )


@dataclass(frozen=True, slots=True)
class Band:
    label_zh: str
    points: int
    test: Test | None  # None: the "otherwise" band


@dataclass(frozen=True, slots=True)
class PerUnit:
    """``points_each`` per full ``unit`` of a figure, capped at the indicator's maximum
    (e.g. 从事特定细分市场年限: 1 point per full 2 years, at most 5)."""

    metric: Metric
    unit: int
    points_each: int
    requirement: str


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    dimension: str
    name_zh: str
    sources: tuple[str, ...]
    verification: str
    max_points: int
    bands: tuple[Band, ...]
    per_unit: PerUnit | None
    note: str | None

    def evaluate(self, ctx: Context) -> CriterionResult:
        checks: list[Check] = []
        if self.per_unit is not None:
            points, up_to, band = self._per_unit(ctx, checks)
        else:
            points, up_to, band = self._banded(ctx, checks)
        known = up_to == points
        return CriterionResult(
            self.id,
            CriterionKind.INDICATOR,
            self.name_zh,
            self.sources,
            self.verification,
            (points > 0) if known else None,
            tuple(checks),
            band=band,
            points=points,
            points_up_to=up_to,
            max_points=self.max_points,
            dimension=self.dimension,
            note=self.note,
        )

    def _banded(self, ctx: Context, checks: list[Check]) -> tuple[int, int, str | None]:
        """First band that holds; a band that may hold (a fact missing) raises the upper bound."""
        up_to = 0
        for band in self.bands:
            result = True if band.test is None else band.test.evaluate(ctx, checks)
            if result is True:
                return band.points, max(up_to, band.points), band.label_zh
            if result is None:
                up_to = max(up_to, band.points)
        raise AssertionError("compiled bands end with an 'otherwise' band")

    def _per_unit(self, ctx: Context, checks: list[Check]) -> tuple[int, int, str | None]:
        rule = self.per_unit
        assert rule is not None
        metric = rule.metric
        year = ctx.year + metric.anchor
        value, read = ctx.read(metric, year)
        if value is None or not isinstance(value, tuple):
            checks.append(Check(rule.requirement, None, read))
            return 0, self.max_points, None
        units = max(value[0] // (value[1] * rule.unit), 0)
        points = min(units * rule.points_each, self.max_points)
        checks.append(Check(rule.requirement, points > 0, read))
        return points, points, f"{units} × {rule.points_each}"


@dataclass(frozen=True, slots=True)
class Dimension:
    id: str
    name_zh: str
    max_points: int
    min_points: int | None
    indicators: tuple[Indicator, ...]
    local: bool
    note: str | None

    @property
    def explained(self) -> str | None:
        if self.local and not self.indicators:
            return (
                f"no local indicators configured for this province: 0 of {self.max_points} "
                "points (特色化 is set by the provincial SME authority)"
            )
        return self.note


@dataclass(frozen=True, slots=True)
class ScoreTable:
    pass_points: int
    max_points: int
    dimensions: tuple[Dimension, ...]
    sources: tuple[str, ...]
    verification: str

    def evaluate(self, ctx: Context) -> tuple[list[CriterionResult], ScoreSummary]:
        results: list[CriterionResult] = []
        dimensions = []
        for dimension in self.dimensions:
            points = up_to = 0
            for indicator in dimension.indicators:
                scored = indicator.evaluate(ctx)
                results.append(scored)
                points += scored.points or 0
                up_to += scored.points_up_to or 0
            dimensions.append(
                DimensionScore(
                    dimension.id,
                    dimension.name_zh,
                    points,
                    up_to,
                    dimension.max_points,
                    dimension.min_points,
                    dimension.explained,
                )
            )
        total = sum(d.points for d in dimensions)
        total_up_to = sum(d.points_up_to for d in dimensions)
        minimums_met = all(d.min_points is None or d.points >= d.min_points for d in dimensions)
        minimums_out_of_reach = any(
            d.min_points is not None and d.points_up_to < d.min_points for d in dimensions
        )
        if total >= self.pass_points and minimums_met:
            result: bool | None = True
        elif total_up_to < self.pass_points or minimums_out_of_reach:
            result = False
        else:
            result = None
        return results, ScoreSummary(
            total, total_up_to, self.max_points, self.pass_points, result, tuple(dimensions)
        )


@dataclass(frozen=True, slots=True)
class TierRules:
    """Everything one application is judged by, compiled for its tier and application kind."""

    rule_set: RuleSetRef
    tier: Tier
    kind: ApplicationKind
    tier_source: str
    overlays: tuple[RuleSetRef, ...]
    exclusions: tuple[Criterion, ...]
    general_conditions: tuple[Criterion, ...]
    prerequisites: tuple[Criterion, ...]
    conditions: tuple[Criterion, ...]
    direct_routes: tuple[Criterion, ...]
    score: ScoreTable | None
    confirmations: Mapping[str, str]  # qualitative items an officer confirms: id → what it means

    def criteria(self) -> Iterable[Criterion]:
        yield from self.exclusions
        yield from self.general_conditions
        yield from self.prerequisites
        yield from self.conditions
        yield from self.direct_routes


# --- compiling documents -----------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleDataError(path, f"'{key}' is a non-empty string")
    return value


def _sources(raw: Mapping[str, Any], path: str) -> tuple[str, ...]:
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        raise RuleDataError(path, "'sources' lists at least one citation (document and article)")
    return tuple(sources)


def _verification(raw: Mapping[str, Any], path: str) -> str:
    label = raw.get("verification")
    if label not in VERIFICATION_LABELS:
        raise RuleDataError(path, f"'verification' is one of {', '.join(VERIFICATION_LABELS)}")
    return str(label)


def _applies_to(raw: Mapping[str, Any], path: str) -> frozenset[ApplicationKind]:
    if "applies_to" not in raw:
        return ALL_KINDS
    try:
        kinds = frozenset(ApplicationKind(k) for k in raw["applies_to"])
    except (TypeError, ValueError):
        raise RuleDataError(path, "'applies_to' lists new and/or re_review") from None
    if not kinds:
        raise RuleDataError(path, "'applies_to' is not empty")
    return kinds


CRITERION_KEYS = {"id", "name_zh", "sources", "verification", "applies_to", "rule", "note"}
INDICATOR_KEYS = {
    "id",
    "name_zh",
    "sources",
    "verification",
    "max_points",
    "bands",
    "per_unit",
    "note",
}


def _check_keys(raw: Mapping[str, Any], allowed: set[str], path: str) -> None:
    extra = sorted(set(raw) - allowed)
    if extra:
        raise RuleDataError(path, f"unknown key '{extra[0]}'")


def compile_criterion(raw: Any, kind: CriterionKind, path: str) -> Criterion:
    if not isinstance(raw, Mapping):
        raise RuleDataError(path, "a criterion is an object")
    _check_keys(raw, CRITERION_KEYS, path)
    if "rule" not in raw:
        raise RuleDataError(path, "'rule' is required")
    return Criterion(
        _text(raw, "id", path),
        kind,
        _text(raw, "name_zh", path),
        _sources(raw, path),
        _verification(raw, path),
        _applies_to(raw, path),
        compile_test(raw["rule"], f"{path}.rule"),
        raw.get("note"),
    )


def _points(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RuleDataError(path, "points are a non-negative integer")
    return value


def compile_indicator(raw: Any, dimension: str, path: str) -> Indicator:
    if not isinstance(raw, Mapping):
        raise RuleDataError(path, "an indicator is an object")
    _check_keys(raw, INDICATOR_KEYS, path)
    max_points = _points(raw.get("max_points"), f"{path}.max_points")
    bands: list[Band] = []
    per_unit = None
    if ("bands" in raw) == ("per_unit" in raw):
        raise RuleDataError(path, "an indicator has either 'bands' or 'per_unit'")
    if "bands" in raw:
        items = raw["bands"]
        if not isinstance(items, list) or len(items) < 2:
            raise RuleDataError(path, "'bands' lists at least two bands")
        for i, item in enumerate(items):
            where = f"{path}.bands[{i}]"
            if not isinstance(item, Mapping):
                raise RuleDataError(where, "a band is an object")
            _check_keys(item, {"label_zh", "points", "when", "otherwise"}, where)
            points = _points(item.get("points"), f"{where}.points")
            if points > max_points:
                raise RuleDataError(where, f"{points} points exceed the indicator's {max_points}")
            last = i == len(items) - 1
            if item.get("otherwise") is True:
                if not last or "when" in item:
                    raise RuleDataError(where, "only the last band is 'otherwise', without 'when'")
                test = None
            elif last:
                raise RuleDataError(where, "the last band is 'otherwise': every case scores")
            else:
                test = compile_test(item.get("when"), f"{where}.when")
            bands.append(Band(_text(item, "label_zh", where), points, test))
        if max(b.points for b in bands) != max_points:
            raise RuleDataError(path, "the best band must give the indicator's max_points")
    else:
        rule = raw["per_unit"]
        where = f"{path}.per_unit"
        if not isinstance(rule, Mapping):
            raise RuleDataError(where, "per_unit is an object")
        _check_keys(rule, {"metric", "unit", "points_each"}, where)
        metric = metric_named(str(rule.get("metric")))
        if metric is None or metric.unit != "count":
            raise RuleDataError(where, "per_unit reads a count metric")
        unit, each = rule.get("unit"), rule.get("points_each")
        if not isinstance(unit, int) or unit < 1 or not isinstance(each, int) or each < 1:
            raise RuleDataError(where, "unit and points_each are positive integers")
        per_unit = PerUnit(
            metric,
            unit,
            each,
            f"{metric.name_zh} {metric.name}: {each} per full {unit}, ≤ {max_points}",
        )
    return Indicator(
        _text(raw, "id", path),
        dimension,
        _text(raw, "name_zh", path),
        _sources(raw, path),
        _verification(raw, path),
        max_points,
        tuple(bands),
        per_unit,
        raw.get("note"),
    )


def compile_score(
    raw: Any, path: str, local_indicators: Sequence[Indicator] | None = None
) -> ScoreTable:
    if not isinstance(raw, Mapping):
        raise RuleDataError(path, "a score is an object")
    _check_keys(raw, {"pass_points", "max_points", "dimensions", "sources", "verification"}, path)
    dims: list[Dimension] = []
    for i, item in enumerate(raw.get("dimensions") or ()):
        where = f"{path}.dimensions[{i}]"
        _check_keys(
            item,
            {"id", "name_zh", "max_points", "min_points", "indicators", "local", "note"},
            where,
        )
        dimension_id = _text(item, "id", where)
        local = item.get("local") is True
        max_points = _points(item.get("max_points"), f"{where}.max_points")
        if local:
            if item.get("indicators"):
                raise RuleDataError(where, "a local dimension's indicators come from an overlay")
            indicators = tuple(local_indicators or ())
            declared = sum(ind.max_points for ind in indicators)
            if declared > max_points:
                raise RuleDataError(
                    where,
                    f"local indicators give {declared} points; the dimension has {max_points}",
                )
            indicators = tuple(
                Indicator(
                    ind.id,
                    dimension_id,
                    ind.name_zh,
                    ind.sources,
                    ind.verification,
                    ind.max_points,
                    ind.bands,
                    ind.per_unit,
                    ind.note,
                )
                for ind in indicators
            )
        else:
            indicators = tuple(
                compile_indicator(ind, dimension_id, f"{where}.indicators[{j}]")
                for j, ind in enumerate(item.get("indicators") or ())
            )
            if sum(ind.max_points for ind in indicators) != max_points:
                raise RuleDataError(where, "indicator max_points must add up to the dimension's")
        minimum = item.get("min_points")
        if minimum is not None:
            _points(minimum, f"{where}.min_points")
        dims.append(
            Dimension(
                dimension_id,
                _text(item, "name_zh", where),
                max_points,
                minimum,
                indicators,
                local,
                item.get("note"),
            )
        )
    if not dims:
        raise RuleDataError(path, "a score has dimensions")
    max_points = _points(raw.get("max_points"), f"{path}.max_points")
    if sum(d.max_points for d in dims) != max_points:
        raise RuleDataError(path, "dimension max_points must add up to the score's")
    pass_points = _points(raw.get("pass_points"), f"{path}.pass_points")
    return ScoreTable(
        pass_points, max_points, tuple(dims), _sources(raw, path), _verification(raw, path)
    )


def _merge(base: Sequence[Criterion], extra: Sequence[Criterion]) -> tuple[Criterion, ...]:
    """Overlay criteria replace base ones with the same id (their sources are added), else append."""
    merged = {c.id: c for c in base}
    for item in extra:
        if item.id in merged:
            old = merged[item.id]
            item = Criterion(
                item.id,
                item.kind,
                item.name_zh,
                old.sources + tuple(s for s in item.sources if s not in old.sources),
                item.verification,
                item.applies_to,
                item.test,
                item.note,
            )
        merged[item.id] = item
    return tuple(merged.values())


def _criteria(
    raw: Mapping[str, Any], key: str, kind: CriterionKind, path: str, app_kind: ApplicationKind
) -> tuple[Criterion, ...]:
    items = raw.get(key)
    if items is None:
        return ()
    if not isinstance(items, list):
        raise RuleDataError(f"{path}.{key}", "a list of criteria")
    compiled = [compile_criterion(c, kind, f"{path}.{key}[{i}]") for i, c in enumerate(items)]
    ids = [c.id for c in compiled]
    if len(ids) != len(set(ids)):
        raise RuleDataError(f"{path}.{key}", "criterion ids are unique")
    return tuple(c for c in compiled if app_kind in c.applies_to)


# --- the catalog: documents, selection, compiled tiers -------------------------------------------


@dataclass(frozen=True, slots=True)
class Selection:
    """The national rule set an application is judged by, why, and the overlays applied."""

    rule_set_id: str
    rule_id: str
    reason: str  # the selection rule with its sources
    overlay_ids: tuple[str, ...]


def _date(value: Any, path: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleDataError(path, f"{value!r} is not an ISO date") from None


@dataclass(frozen=True, slots=True)
class SelectionRule:
    id: str
    tiers: frozenset[Tier] | None
    kinds: frozenset[ApplicationKind] | None
    filed_from: date | None
    filed_to: date | None  # inclusive
    rule_set: str
    sources: tuple[str, ...]
    verification: str
    note: str | None

    @property
    def reason(self) -> str:
        return f"{self.id} ({'; '.join(self.sources)}; {self.verification})"

    def matches(self, application: Application) -> bool:
        day = application.filed_on
        return (
            (self.tiers is None or application.tier in self.tiers)
            and (self.kinds is None or application.kind in self.kinds)
            and (self.filed_from is None or self.filed_from <= day)
            and (self.filed_to is None or day <= self.filed_to)
        )


@dataclass(frozen=True, slots=True)
class OverlayScope:
    """Where an overlay applies: one province, one level, some tiers, on named rule sets."""

    overlay_id: str
    province: str
    level: Level
    tiers: frozenset[Tier]
    rule_sets: frozenset[str]
    effective_from: date | None
    effective_to: date | None  # inclusive

    def applies(self, application: Application, rule_set_id: str) -> bool:
        day = application.filed_on
        return (
            application.province == self.province
            and application.level is self.level
            and application.tier in self.tiers
            and rule_set_id in self.rule_sets
            and (self.effective_from is None or self.effective_from <= day)
            and (self.effective_to is None or day <= self.effective_to)
        )


class NoRuleSet(ValueError):
    """No rule set covers the application (e.g. filed before 63号 took effect)."""

    def __init__(self, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.field, self.detail, self.detail_zh = (
            "rule_set_not_found",
            "filed_on",
            detail,
            detail_zh,
        )


class RuleCatalog:
    """The rule documents in force: national rule sets, overlays and the selection."""

    def __init__(self, documents: Iterable[Mapping[str, Any]]) -> None:
        self.national: dict[str, Mapping[str, Any]] = {}
        self.overlays: dict[str, Mapping[str, Any]] = {}
        selection: Mapping[str, Any] | None = None
        for document in documents:
            kind = document.get("kind")
            doc_id = document.get("id")
            if not isinstance(doc_id, str) or not doc_id or not document.get("version"):
                raise RuleDataError(str(doc_id), "every document has an id and a version")
            if kind == "national":
                self._add(self.national, document)
            elif kind == "overlay":
                self._add(self.overlays, document)
            elif kind == "selection":
                if selection is not None:
                    raise RuleDataError(doc_id, "only one selection document")
                selection = document
            else:
                raise RuleDataError(doc_id, f"unknown kind {kind!r}")
        if selection is None:
            raise RuleDataError("selection", "a selection document is required")
        self.selection_document = selection
        self.selection_rules = self._selection_rules(selection)
        self._reasons = {rule.id: rule.reason for rule in self.selection_rules}
        self._overlay_scopes = tuple(
            self._overlay_scope(overlay_id, overlay)
            for overlay_id, overlay in self.overlays.items()
        )
        self._compiled: dict[tuple[str, Tier, ApplicationKind, tuple[str, ...]], TierRules] = {}
        # Compile everything once now, so a bad edit fails on loading, not on an application.
        for rule_set_id in self.national:
            for tier in Tier:
                for app_kind in ApplicationKind:
                    if tier.value in self.national[rule_set_id]["tiers"]:
                        self.tier_rules(rule_set_id, tier, app_kind, ())
        for overlay_id, overlay in self.overlays.items():
            for rule_set_id in overlay.get("applies_to_rule_sets", ()):
                for tier_name in overlay.get("tiers", ()):
                    for app_kind in ApplicationKind:
                        self.tier_rules(rule_set_id, Tier(tier_name), app_kind, (overlay_id,))

    @staticmethod
    def _add(into: dict[str, Mapping[str, Any]], document: Mapping[str, Any]) -> None:
        if document["id"] in into:
            raise RuleDataError(document["id"], "two documents with this id")
        into[document["id"]] = document

    def _selection_rules(self, raw: Mapping[str, Any]) -> tuple[SelectionRule, ...]:
        rules = []
        for i, item in enumerate(raw.get("rules") or ()):
            path = f"selection.rules[{i}]"
            _check_keys(
                item,
                {
                    "id",
                    "tiers",
                    "kinds",
                    "filed_from",
                    "filed_to",
                    "rule_set",
                    "sources",
                    "verification",
                    "note",
                },
                path,
            )
            rule_set = _text(item, "rule_set", path)
            if rule_set not in self.national:
                raise RuleDataError(path, f"unknown rule set {rule_set!r}")
            try:
                tiers = frozenset(Tier(t) for t in item["tiers"]) if "tiers" in item else None
                kinds = (
                    frozenset(ApplicationKind(k) for k in item["kinds"])
                    if "kinds" in item
                    else None
                )
            except ValueError as error:
                raise RuleDataError(path, str(error)) from None
            rules.append(
                SelectionRule(
                    _text(item, "id", path),
                    tiers,
                    kinds,
                    _date(item.get("filed_from"), f"{path}.filed_from"),
                    _date(item.get("filed_to"), f"{path}.filed_to"),
                    rule_set,
                    _sources(item, path),
                    _verification(item, path),
                    item.get("note"),
                )
            )
        if not rules:
            raise RuleDataError("selection.rules", "at least one rule")
        return tuple(rules)

    @classmethod
    def from_documents(cls, documents: Iterable[Mapping[str, Any]]) -> RuleCatalog:
        return cls(documents)

    def select(self, application: Application) -> Selection:
        """The first selection rule that matches, and the overlays for the province and level."""
        for rule in self.selection_rules:
            if rule.matches(application):
                return Selection(
                    rule.rule_set,
                    rule.id,
                    self._reasons[rule.id],
                    self._overlays_for(application, rule.rule_set),
                )
        raise NoRuleSet(
            f"no rule set covers a {application.kind.value} {application.tier.value} "
            f"application filed on {application.filed_on.isoformat()}",
            f"{application.filed_on.isoformat()} 提交的申请无适用的认定标准",
        )

    @staticmethod
    def _overlay_scope(overlay_id: str, overlay: Mapping[str, Any]) -> OverlayScope:
        path = f"{overlay_id}"
        try:
            level = Level(str(overlay.get("level")))
            tiers = frozenset(Tier(t) for t in overlay.get("tiers") or ())
        except ValueError as error:
            raise RuleDataError(path, str(error)) from None
        province = overlay.get("province")
        if not isinstance(province, str) or len(province) != 6 or not province.isdigit():
            raise RuleDataError(path, "province is a 6-digit GB/T 2260 code")
        rule_sets = overlay.get("applies_to_rule_sets")
        if not isinstance(rule_sets, list) or not rule_sets:
            raise RuleDataError(path, "applies_to_rule_sets names at least one rule set")
        if not tiers:
            raise RuleDataError(path, "tiers names at least one tier")
        return OverlayScope(
            overlay_id,
            province,
            level,
            tiers,
            frozenset(rule_sets),
            _date(overlay.get("effective_from"), f"{path}.effective_from"),
            _date(overlay.get("effective_to"), f"{path}.effective_to"),
        )

    def overlays_for(self, application: Application, rule_set_id: str) -> tuple[str, ...]:
        """The overlays that apply to an application judged by ``rule_set_id`` (a re-evaluation
        names the rule set instead of letting the selection choose it)."""
        return self._overlays_for(application, rule_set_id)

    def _overlays_for(self, application: Application, rule_set_id: str) -> tuple[str, ...]:
        return tuple(
            sorted(
                scope.overlay_id
                for scope in self._overlay_scopes
                if scope.applies(application, rule_set_id)
            )
        )

    def tier_rules(
        self,
        rule_set_id: str,
        tier: Tier,
        kind: ApplicationKind,
        overlay_ids: tuple[str, ...],
    ) -> TierRules:
        key = (rule_set_id, tier, kind, overlay_ids)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile(rule_set_id, tier, kind, overlay_ids)
        return compiled

    def _compile(
        self,
        rule_set_id: str,
        tier: Tier,
        kind: ApplicationKind,
        overlay_ids: tuple[str, ...],
    ) -> TierRules:
        document = self.national.get(rule_set_id)
        if document is None:
            raise RuleDataError(rule_set_id, "unknown rule set")
        tiers = document.get("tiers") or {}
        path = f"{rule_set_id}.tiers.{tier.value}"
        tier_raw = tiers.get(tier.value)
        if tier_raw is None:
            raise RuleDataError(path, "the rule set has no criteria for this tier")
        tier_source = f"{rule_set_id} {document['version']}"
        if "same_as" in tier_raw:
            _check_keys(tier_raw, {"same_as", "sources", "verification", "note"}, path)
            target = tier_raw["same_as"]
            other = self.national.get(target.get("rule_set"))
            if other is None or target.get("tier") not in (other.get("tiers") or {}):
                raise RuleDataError(path, "same_as names a rule set and tier that exist")
            other_tier = other["tiers"][target["tier"]]
            if "same_as" in other_tier:
                raise RuleDataError(path, "same_as does not chain")
            tier_source = (
                f"{other['id']} {other['version']} tier {target['tier']}, by "
                + "; ".join(_sources(tier_raw, path))
                + f" ({_verification(tier_raw, path)})"
            )
            tier_raw = other_tier
            path = f"{other['id']}.tiers.{target['tier']}"
        _check_keys(
            tier_raw,
            {"name_zh", "sources", "prerequisites", "conditions", "direct_routes", "score", "note"},
            path,
        )
        confirmations: dict[str, str] = dict(document.get("confirmations") or {})
        exclusions = _criteria(document, "exclusions", CriterionKind.EXCLUSION, rule_set_id, kind)
        general = _criteria(
            document, "general_conditions", CriterionKind.GENERAL_CONDITION, rule_set_id, kind
        )
        prerequisites = _criteria(tier_raw, "prerequisites", CriterionKind.PREREQUISITE, path, kind)
        conditions = _criteria(tier_raw, "conditions", CriterionKind.CONDITION, path, kind)
        routes = _criteria(tier_raw, "direct_routes", CriterionKind.DIRECT_ROUTE, path, kind)
        local_indicators: list[Indicator] = []
        overlay_refs = []
        for overlay_id in overlay_ids:
            overlay = self.overlays.get(overlay_id)
            if overlay is None:
                raise RuleDataError(overlay_id, "unknown overlay")
            if rule_set_id not in overlay.get("applies_to_rule_sets", ()):
                raise RuleDataError(overlay_id, f"does not apply to {rule_set_id}")
            _check_keys(
                overlay,
                {
                    "id",
                    "version",
                    "kind",
                    "title_zh",
                    "document",
                    "province",
                    "level",
                    "tiers",
                    "applies_to_rule_sets",
                    "effective_from",
                    "effective_to",
                    "confirmations",
                    "exclusions",
                    "conditions",
                    "local_indicators",
                    "note",
                },
                overlay_id,
            )
            overlay_refs.append(reference(overlay))
            confirmations.update(overlay.get("confirmations") or {})
            exclusions = _merge(
                exclusions,
                _criteria(overlay, "exclusions", CriterionKind.EXCLUSION, overlay_id, kind),
            )
            conditions = _merge(
                conditions,
                _criteria(overlay, "conditions", CriterionKind.CONDITION, overlay_id, kind),
            )
            local = overlay.get("local_indicators")
            if local is not None:
                _check_keys(local, {"dimension", "indicators", "note"}, f"{overlay_id}.local")
                dimension = _text(local, "dimension", f"{overlay_id}.local_indicators")
                items = local.get("indicators") or []
                if len(items) > 3:
                    raise RuleDataError(
                        f"{overlay_id}.local_indicators",
                        "63号附件2 特色化: 1 to 3 local indicators",
                    )
                local_indicators.extend(
                    compile_indicator(item, dimension, f"{overlay_id}.local_indicators[{i}]")
                    for i, item in enumerate(items)
                )
        score = None
        if tier_raw.get("score") is not None:
            score = compile_score(tier_raw["score"], f"{path}.score", local_indicators)
        rules = TierRules(
            reference(document),
            tier,
            kind,
            tier_source,
            tuple(overlay_refs),
            exclusions,
            general,
            prerequisites,
            conditions,
            routes if score is not None else (),
            score,
            confirmations,
        )
        if routes and score is None:
            raise RuleDataError(path, "direct routes replace a score; this tier has none")
        self._check_confirmations(rules, path)
        return rules

    @staticmethod
    def _check_confirmations(rules: TierRules, path: str) -> None:
        """Every confirmation a rule asks for is declared (with what it means) by a document."""
        tests: list[tuple[str, Test]] = [(c.id, c.test) for c in rules.criteria()]
        if rules.score is not None:
            tests.extend(
                (ind.id, band.test)
                for dim in rules.score.dimensions
                for ind in dim.indicators
                for band in ind.bands
                if band.test is not None
            )
        for owner, test in tests:
            for leaf in test.leaves():
                if isinstance(leaf, Confirmed) and leaf.item not in rules.confirmations:
                    raise RuleDataError(
                        path, f"{owner}: confirmation {leaf.item!r} is not declared"
                    )


def _packaged_documents() -> list[dict[str, Any]]:
    folder = resources.files("sme_certification.rules.data")
    return [
        json.loads(entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]


@cache
def load_catalog() -> RuleCatalog:
    """The rule documents shipped with the service (``data/*.json``)."""
    return RuleCatalog(_packaged_documents())


def packaged_documents() -> list[dict[str, Any]]:
    """Fresh copies of the shipped documents (for an officer's edit, or a test's)."""
    return _packaged_documents()
