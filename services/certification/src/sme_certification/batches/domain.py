"""Batches (申报批次) as rules: their statuses, their filing window, and the per-市州 numbers.

A batch is one round of applications for one tier at one level in one year, with a filing window
(``opens_on``..``closes_on``, both inclusive, business days in Asia/Shanghai). A province may set
per-市州 **caps** (名额: a recommendation beyond it is refused) and per-市州 **minimums** (Guizhou,
seed 003 五(一): “各市州…每年推荐省级‘专精特新’培育企业不少于20户”: a floor that is reported
against, never a reason to refuse the 21st).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation


class BatchStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared: nothing can be filed yet
    OPEN = "open"  # applications are filed within the window, and reviewed
    CLOSED = "closed"  # the round is over: no more filing nor recommendation


NEXT_STATUSES: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    BatchStatus.DRAFT: frozenset({BatchStatus.OPEN}),
    BatchStatus.OPEN: frozenset({BatchStatus.CLOSED}),
    BatchStatus.CLOSED: frozenset(),
}


def check_status_change(current: BatchStatus, wanted: BatchStatus) -> None:
    if wanted != current and wanted not in NEXT_STATUSES[current]:
        raise RuleViolation(
            "batch_transition_not_allowed",
            f"A {current} batch cannot become {wanted}",
            f"申报批次不能从“{current}”变为“{wanted}”",
            field="status",
        )


def check_window(opens_on: date, closes_on: date) -> None:
    if closes_on < opens_on:
        raise RuleViolation(
            "window_closes_before_opening",
            "closes_on is before opens_on",
            "申报截止日期早于开始日期",
            field="closes_on",
        )


def check_counts_by_unit(
    counts: Mapping[str, int], province_code: str, *, field: str, catalog: RegionCatalog
) -> None:
    """Caps and minimums are kept by reporting unit (市州, or 兰州新区) of the batch's province."""
    units = {unit.code for unit in catalog.reporting_units(province_code)}
    for code in sorted(counts):
        if code not in units:
            raise RuleViolation(
                "reporting_unit_unknown",
                f"{code} is not a 市州 of {province_code}",
                f"{code} 不是 {province_code} 所辖市州",
                field=f"{field}.{code}",
            )


def check_province(province_code: str, catalog: RegionCatalog) -> None:
    region = catalog.get(province_code)
    if region is None or region.level != "province" or region.valid_to_year is not None:
        raise RuleViolation(
            "province_unknown",
            f"{province_code} is not a province in force",
            f"{province_code} 不是现行有效的省级行政区划代码",
            field="province_code",
        )


def check_open_for_filing(status: BatchStatus, opens_on: date, closes_on: date, day: date) -> None:
    """Filing only while the batch is open and ``day`` is within its window."""
    if status is not BatchStatus.OPEN or not opens_on <= day <= closes_on:
        raise RuleViolation(
            "filing_window_closed",
            f"The batch takes filings from {opens_on} to {closes_on} while open "
            f"(it is {status}, today is {day})",
            f"该批次仅在开放期间 {opens_on} 至 {closes_on} 受理申报（当前状态 {status}，今天 {day}）",
            field="batch_id",
        )


@dataclass(frozen=True, slots=True)
class UnitCount:
    """One 市州's recommendations in a batch against its cap and its minimum."""

    reporting_unit_code: str
    recommended: int
    cap: int | None
    minimum: int | None

    @property
    def shortfall(self) -> int:
        """How many more the 市州 should recommend to reach its minimum (0 when reached)."""
        return 0 if self.minimum is None else max(self.minimum - self.recommended, 0)

    @property
    def remaining(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.recommended, 0)


def unit_counts(
    recommended: Mapping[str, int], caps: Mapping[str, int], minimums: Mapping[str, int]
) -> list[UnitCount]:
    units = sorted({*recommended, *caps, *minimums})
    return [
        UnitCount(code, recommended.get(code, 0), caps.get(code), minimums.get(code))
        for code in units
    ]


def check_below_cap(reporting_unit_code: str, recommended: int, cap: int | None) -> None:
    """A recommendation beyond the 市州's cap is refused (a minimum never refuses anything)."""
    if cap is not None and recommended >= cap:
        raise RuleViolation(
            "recommendation_cap_reached",
            f"{reporting_unit_code} has recommended {recommended} of its {cap} in this batch",
            f"{reporting_unit_code} 在本批次已推荐 {recommended} 户，达到名额上限 {cap} 户",
            field="reporting_unit_code",
        )


def check_not_closed(status: BatchStatus, batch_id: str) -> None:
    """A closed batch is over: nothing is filed, corrected, decided or changed in it any more."""
    if status is BatchStatus.CLOSED:
        raise RuleViolation(
            "batch_closed",
            f"Batch {batch_id} is closed",
            f"申报批次 {batch_id} 已关闭",
            field="batch_id",
        )
