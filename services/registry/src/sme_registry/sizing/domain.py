"""SME size class (micro / small / medium / large) under 工信部联企业〔2011〕300号.

The thresholds are data (``data/size-thresholds.json``, versioned, with their source); this module
only reads them. The intervals are half-open: a floor is included, a ceiling excluded (policy-facts
§3, following 国统字〔2017〕213号). Every decision carries its explanation: the industry row, the
figures read, and the condition that decided.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

WAN_FEN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen


class SizeClass(enum.StrEnum):
    MICRO = "micro"  # 微型企业
    SMALL = "small"  # 小型企业
    MEDIUM = "medium"  # 中型企业
    LARGE = "large"  # 大型企业


@dataclass(frozen=True)
class SizeFigures:
    """The figures 300号 reads: 从业人员, 营业收入, 资产总额 (money in fen)."""

    employees: int | None
    operating_revenue_fen: int | None
    total_assets_fen: int | None

    def value(self, metric: str) -> int | None:
        """Persons for employees, fen for money (compared with thresholds scaled to fen)."""
        if metric == "employees":
            return self.employees
        if metric == "operating_revenue_wan":
            return self.operating_revenue_fen
        return self.total_assets_fen


def _scaled(metric: str, threshold: int) -> int:
    return threshold if metric == "employees" else threshold * WAN_FEN


def explained_figures(read: dict[str, int | None]) -> dict[str, int | float | None]:
    """The figures as an explanation shows them, each labelled with its unit.

    The table's money metrics are in 万元 (``operating_revenue_wan``); the facts hold fen. Each money
    figure is given in fen under ``<figure>_fen`` (exact), and in 万元 under the table's own name,
    which is the name v1 explanations always had: until 2026-11 it wrongly carried the fen value,
    so it keeps its name (consumers of size-class-changed.v1 read it) with the right value in it,
    and the exact ``_fen`` figure is what new readers should use.
    """
    shown: dict[str, int | float | None] = {}
    for metric, value in read.items():
        if metric == "employees":
            shown[metric] = value
            continue
        shown[metric.removesuffix("_wan") + "_fen"] = value
        if value is None:
            shown[metric] = None
        else:
            wan, rest = divmod(value, WAN_FEN)
            # A JSON number; the fen figure beside it is the exact one.
            shown[metric] = wan if rest == 0 else value / WAN_FEN
    return shown


@dataclass(frozen=True)
class IndustryRow:
    id: str
    name_zh: str
    codes: tuple[str, ...]
    sme_ceiling: dict[str, int]
    medium_floor: dict[str, int]
    small_floor: dict[str, int]

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.sme_ceiling.keys() | self.medium_floor.keys() | self.small_floor.keys())


@dataclass(frozen=True)
class SizeDecision:
    size_class: SizeClass | None
    explanation: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SizeRules:
    version: str
    source: str
    rows: tuple[IndustryRow, ...]
    not_classified: tuple[dict[str, Any], ...]

    def row_for(self, industry_code: str) -> tuple[IndustryRow | None, str | None]:
        """The 300号 row for a GB/T 4754 code (most specific match), or why none applies."""
        for rule in self.not_classified:
            if any(industry_code.startswith(c) for c in rule["codes"]):
                if "treat_as" in rule:
                    return self._by_id(rule["treat_as"]), None
                return None, str(rule["reason"])
        best: tuple[int, IndustryRow] | None = None
        for row in self.rows:
            for code in row.codes:
                if code != "*" and industry_code.startswith(code):
                    if best is None or len(code) > best[0]:
                        best = (len(code), row)
        if best is not None:
            return best[1], None
        return self._by_id("other_unlisted"), None

    def _by_id(self, row_id: str) -> IndustryRow:
        return next(row for row in self.rows if row.id == row_id)

    def classify(self, industry_code: str | None, figures: SizeFigures) -> SizeDecision:
        if industry_code is None:
            return SizeDecision(
                None, {"reason": "industry_code_missing", "rule_version": self.version}
            )
        row, reason = self.row_for(industry_code)
        if row is None:
            return SizeDecision(
                None,
                {
                    "reason": "industry_not_classified",
                    "detail_zh": reason,
                    "industry_code": industry_code,
                    "rule_version": self.version,
                },
            )
        read = {metric: figures.value(metric) for metric in row.metrics}
        missing = sorted(m for m, v in read.items() if v is None)
        base = {
            "industry_code": industry_code,
            "row": row.id,
            "row_name_zh": row.name_zh,
            "figures": explained_figures(read),
            "rule_version": self.version,
            "source": self.source,
        }
        if missing:
            return SizeDecision(None, {**base, "reason": "figures_missing", "missing": missing})
        values = {m: v for m, v in read.items() if v is not None}

        def below(thresholds: dict[str, int]) -> list[bool]:
            return [values[m] < _scaled(m, t) for m, t in thresholds.items()]

        if not any(below(row.sme_ceiling)):
            decided = (
                SizeClass.LARGE,
                "sme_ceiling",
                row.sme_ceiling,
                "no figure below the SME ceiling",
            )
        elif not any(below(row.medium_floor)):
            decided = (SizeClass.MEDIUM, "medium_floor", row.medium_floor, "every medium floor met")
        elif not any(below(row.small_floor)):
            decided = (SizeClass.SMALL, "small_floor", row.small_floor, "every small floor met")
        else:
            decided = (
                SizeClass.MICRO,
                "small_floor",
                row.small_floor,
                "some figure below the small floor",
            )
        size_class, threshold_name, thresholds, because = decided
        return SizeDecision(
            size_class,
            {
                **base,
                "size_class": size_class.value,
                "decided_by": threshold_name,
                "thresholds": thresholds,
                "because": because,
            },
        )


@cache
def load_size_rules() -> SizeRules:
    raw = json.loads(
        (resources.files("sme_registry.sizing.data") / "size-thresholds.json").read_text("utf-8")
    )
    rows = tuple(
        IndustryRow(
            r["id"],
            r["name_zh"],
            tuple(r["codes"]),
            r["sme_ceiling"],
            r["medium_floor"],
            r["small_floor"],
        )
        for r in raw["industries"]
    )
    return SizeRules(raw["version"], raw["source"], rows, tuple(raw["not_classified"]))
