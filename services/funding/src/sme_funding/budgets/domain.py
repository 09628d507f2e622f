"""Budgets as rules: special funds (专项资金) by year and source, their allocations to 市州, and the
commitments approvals make against an allocation.

- A fund's allocations never add up to more than its total.
- An allocation is never reduced below what is committed against it.
- A commitment never exceeds what its allocation has available (allocated − committed); a paid
  commitment stays committed (paid money is spent budget); cancelling releases what is unpaid.
- Recovered money (追回) is tracked against what was paid; it does not return to the allocation
  (it goes back to the treasury, outside the fund's year).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation


class SourceKind(enum.StrEnum):
    """Where a fund's money comes from (资金来源)."""

    CENTRAL = "central"  # 中央财政
    PROVINCIAL = "provincial"  # 省级财政
    CITY = "city"  # 市州财政


class FundStatus(enum.StrEnum):
    OPEN = "open"


class CommitmentStatus(enum.StrEnum):
    COMMITTED = "committed"
    RELEASED = "released"


@dataclass(frozen=True)
class Commitment:
    """What the budget holds for one subject (an approved entitlement), as callers see it."""

    id: str
    subject_ref: str
    fund_id: str
    fund_code: str
    year: int
    region_code: str
    amount_fen: int
    paid_fen: int
    recovery_raised_fen: int
    recovered_fen: int
    status: CommitmentStatus
    last_failure_reason: str | None = None

    @property
    def outstanding_fen(self) -> int:
        """Committed and not yet paid (0 once released)."""
        if self.status is CommitmentStatus.RELEASED:
            return 0
        return self.amount_fen - self.paid_fen


def check_province(province_code: str, catalog: RegionCatalog) -> None:
    region = catalog.get(province_code)
    if region is None or region.level != "province" or region.valid_to_year is not None:
        raise RuleViolation(
            "province_unknown",
            f"{province_code} is not a province in force",
            f"{province_code} 不是现行有效的省级行政区划代码",
            field="province_code",
        )


def check_allocation_region(region_code: str, province_code: str, catalog: RegionCatalog) -> None:
    """A fund is allocated to a 市州 (reporting unit) of its province, or kept by the province."""
    units = {unit.code for unit in catalog.reporting_units(province_code)}
    if region_code != province_code and region_code not in units:
        raise RuleViolation(
            "allocation_region_invalid",
            f"{region_code} is neither {province_code} nor one of its 市州",
            f"{region_code} 既不是 {province_code} 本级，也不是其所辖市州",
            field="region_code",
        )


def budget_region(region_code: str, catalog: RegionCatalog) -> str:
    """The region whose allocation pays for something in ``region_code``: the province itself,
    or the 市州 (reporting unit) the region belongs to (a county is paid from its 市州's share)."""
    region = catalog.get(region_code)
    if region is not None and region.valid_to_year is None:
        if region.level == "province":
            return region_code
        unit = catalog.reporting_unit_for(region_code)
        if unit is not None:
            return unit.code
    raise RuleViolation(
        "allocation_region_invalid",
        f"{region_code} is not a province, 市州 or county in force",
        f"{region_code} 不是现行有效的省、市州或县区代码",
        field="region_code",
    )


def unallocated_fen(total_fen: int, other_allocations_fen: int, new_amount_fen: int) -> int:
    """What the fund would keep unallocated after the change (negative: over-allocated)."""
    return total_fen - other_allocations_fen - new_amount_fen
