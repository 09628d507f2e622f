"""The explanation every evaluation returns: each criterion, the facts it read (year, value), the
band, the points, pass/fail, and the rule set (id, version, fingerprint) with any overlays.

Everything here serialises to plain JSON (``to_dict`` / ``to_json``): money in fen as integers,
ratios as decimal strings, dates as ISO strings, so that the same explanation can be shown to the
officer and to the enterprise and exported.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

JsonScalar = str | int | bool | None


class Outcome(enum.StrEnum):
    """The overall result of an evaluation."""

    PASSED = "passed"  # every condition met, the score reached (or no score needed)
    # conditions met; a 直通条件 (direct route) replaced the score
    PASSED_BY_DIRECT_ROUTE = "passed_by_direct_route"
    FAILED = "failed"
    UNDETERMINED = "undetermined"  # facts or officer confirmations missing that could change it


class CriterionKind(enum.StrEnum):
    EXCLUSION = "exclusion"  # 不得申报/推荐 (credit flags, accidents, falsification ban)
    # 申报基本要求 shared by every tier (e.g. an SME under 300号)
    GENERAL_CONDITION = "general_condition"
    PREREQUISITE = "prerequisite"  # a valid lower-tier title
    CONDITION = "condition"  # 认定条件 / 基本条件
    DIRECT_ROUTE = "direct_route"  # 直通条件: replaces the score
    INDICATOR = "indicator"  # a row of the scoring table
    SCORE = "score"  # the scoring table's total against its pass mark and minimums


def tri(value: bool | None) -> str:
    """A criterion's result: pass, fail or unknown (a fact it needs is missing)."""
    if value is None:
        return "unknown"
    return "pass" if value else "fail"


class FactRead(NamedTuple):
    """One fact read: its year (None for facts that are not yearly), name and value as shown.

    FactRead, Check and CriterionResult are named tuples rather than dataclasses: an evaluation
    makes dozens of them, and a tuple is the cheapest immutable object to build."""

    year: int | None
    name: str
    value: JsonScalar

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "name": self.name, "value": self.value}


class Check(NamedTuple):
    """One test inside a criterion (a criterion may combine several with all/any)."""

    requirement: str  # e.g. "operating_revenue_fen [上年度] ≥ 1000万元"
    result: bool | None
    facts: tuple[FactRead, ...]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requirement": self.requirement,
            "result": tri(self.result),
            "facts": [f.to_dict() for f in self.facts],
        }
        if self.note is not None:
            out["note"] = self.note
        return out


class CriterionResult(NamedTuple):
    id: str
    kind: CriterionKind
    name_zh: str
    sources: tuple[str, ...]  # citations: document and article
    verification: str  # verified_primary | verified_secondary | unverified
    result: bool | None
    checks: tuple[Check, ...]
    band: str | None = None  # for indicators: the band that matched
    points: int | None = None  # for indicators: points earned (the lower bound if unknown)
    points_up_to: int | None = None  # for unknown indicators: the most the missing facts could add
    max_points: int | None = None
    dimension: str | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "name_zh": self.name_zh,
            "sources": list(self.sources),
            "verification": self.verification,
            "result": tri(self.result),
            "checks": [c.to_dict() for c in self.checks],
        }
        if self.kind is CriterionKind.INDICATOR:
            out.update(
                dimension=self.dimension,
                band=self.band,
                points=self.points,
                points_up_to=self.points_up_to,
                max_points=self.max_points,
            )
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class DimensionScore:
    id: str
    name_zh: str
    points: int  # earned with the facts given (missing facts count 0)
    points_up_to: int  # if every missing fact fell the enterprise's way
    max_points: int
    min_points: int | None  # a minimum the dimension must reach (创新型: 创新能力 ≥ 20 …)
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name_zh": self.name_zh,
            "points": self.points,
            "points_up_to": self.points_up_to,
            "max_points": self.max_points,
            "min_points": self.min_points,
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    points: int
    points_up_to: int
    max_points: int
    pass_points: int
    result: bool | None
    dimensions: tuple[DimensionScore, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": self.points,
            "points_up_to": self.points_up_to,
            "max_points": self.max_points,
            "pass_points": self.pass_points,
            "result": tri(self.result),
            "dimensions": [d.to_dict() for d in self.dimensions],
        }


@dataclass(frozen=True, slots=True)
class RuleSetRef:
    id: str
    version: str
    fingerprint: str  # sha256 of the rule document as evaluated (changes with any officer edit)
    title_zh: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "title_zh": self.title_zh,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """The result of one evaluation, with everything needed to check it by hand."""

    uscc: str | None
    tier: str
    kind: str
    level: str
    province: str | None
    filed_on: str
    rule_set: RuleSetRef
    # where this tier's criteria come from (another rule set's, e.g. by 2号文第三十条)
    tier_source: str
    overlays: tuple[RuleSetRef, ...]
    selected_by: str  # the selection rule that chose the rule set, with its source
    outcome: Outcome
    direct_routes_met: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    score: ScoreSummary | None
    missing: tuple[str, ...]  # facts or confirmations that would settle an undetermined outcome
    reasons: tuple[str, ...]  # ids of the criteria that decided a failure

    def to_dict(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "tier": self.tier,
            "kind": self.kind,
            "level": self.level,
            "province": self.province,
            "filed_on": self.filed_on,
            "rule_set": self.rule_set.to_dict(),
            "tier_source": self.tier_source,
            "overlays": [o.to_dict() for o in self.overlays],
            "selected_by": self.selected_by,
            "outcome": self.outcome.value,
            "direct_routes_met": list(self.direct_routes_met),
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "score": None if self.score is None else self.score.to_dict(),
            "criteria": [c.to_dict() for c in self.criteria],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    def criterion(self, criterion_id: str) -> CriterionResult:
        for item in self.criteria:
            if item.id == criterion_id:
                return item
        raise KeyError(criterion_id)
