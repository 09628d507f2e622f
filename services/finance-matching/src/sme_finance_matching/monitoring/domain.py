"""Guarantee and loan monitoring (融资担保和信贷监测), as rules.

The guarantee fee target: Gansu's measures (seed 000 (十四)) aim to bring the guarantee fee rate
for 专精特新 enterprises down to 1.5 % (“力争将专精特新企业担保费率降至1.5%以下”); the
figures per guarantee agency (volumes, average and highest fee rate, the share above the target)
are the basis of the awards to well-performing agencies (seed 000 (十四) 业务奖补; seed 004 九
“对绩效显著、工作突出的融资担保机构给予一定的资金奖补”). The target is data
(``data/guarantee_fee_target.json``, versioned, with its source); a fee is **above** the target
when it is strictly greater than ``max_fee_ratio`` (1.5 % itself meets it).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources

from sme_common.rules import RuleViolation

SIX = Decimal("0.000001")


class LoanGrouping(enum.StrEnum):
    INSTITUTION = "institution"
    TIER = "tier"  # as declared on the need; "unknown" for reports on the enterprise alone
    REPORTING_UNIT = "reporting_unit"  # 市州
    MONTH = "month"  # YYYY-MM of the outcome


class ExportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class FeeTarget:
    version: str
    max_fee_ratio: Decimal
    tiers: tuple[str, ...]
    source: str
    source_zh: str

    @classmethod
    @cache
    def load(cls) -> FeeTarget:
        raw = json.loads(
            (
                resources.files("sme_finance_matching.monitoring.data")
                / "guarantee_fee_target.json"
            ).read_text("utf-8")
        )
        return cls(
            version=raw["version"],
            max_fee_ratio=Decimal(raw["max_fee_ratio"]),
            tiers=tuple(raw["tiers"]),
            source=raw["source"],
            source_zh=raw["source_zh"],
        )

    def above(self, fee_ratio: Decimal) -> bool:
        return fee_ratio > self.max_fee_ratio


def check_period(from_on: date | None, to_on: date | None) -> None:
    if from_on is not None and to_on is not None and to_on < from_on:
        raise RuleViolation(
            "period_invalid",
            f"to_on {to_on} is before from_on {from_on}",
            f"统计截止日 {to_on} 早于起始日 {from_on}",
            field="to_on",
        )


def ratio(value: Decimal | None) -> Decimal | None:
    """A ratio rounded to six decimals (half even), None staying None."""
    return None if value is None else Decimal(value).quantize(SIX)


def share(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else (Decimal(part) / Decimal(whole)).quantize(SIX)
