from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sme_finance_matching.fields import RefId, UnitCode
from sme_finance_matching.institutions.domain import Tier
from sme_finance_matching.monitoring.domain import ExportFormat, LoanGrouping

FIRST_DAY = date(2000, 1, 1)


class GuaranteeFeeFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_on: date | None = Field(default=None, ge=FIRST_DAY)
    """Guarantees granted on or after this day."""
    to_on: date | None = Field(default=None, ge=FIRST_DAY)
    """… and on or before this day."""
    tier: Tier | None = None
    """Only guarantees on needs declaring this tier."""
    format: ExportFormat = ExportFormat.JSON
    """``csv`` for the rows as CSV (or send ``Accept: text/csv``)."""


class LoanFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_by: LoanGrouping = LoanGrouping.INSTITUTION
    from_on: date | None = Field(default=None, ge=FIRST_DAY)
    to_on: date | None = Field(default=None, ge=FIRST_DAY)
    institution_id: RefId | None = None
    tier: Tier | None = None
    reporting_unit_code: UnitCode | None = None
    format: ExportFormat = ExportFormat.JSON


class FeeTargetRead(BaseModel):
    version: str
    max_fee_ratio: Decimal
    tiers: list[Tier]
    source: str
    source_zh: str


class AgencyFees(BaseModel):
    institution_id: str | None
    """The guarantee agency (None on the totals row)."""
    institution_name: str | None
    guarantee_count: int
    amount_fen: int
    average_fee_ratio: Decimal | None
    """The plain mean of the fee rates."""
    weighted_fee_ratio: Decimal | None
    """The mean weighted by the amounts guaranteed."""
    max_fee_ratio: Decimal | None
    above_target_count: int
    above_target_amount_fen: int
    above_target_share: Decimal | None
    """above_target_count / guarantee_count."""
    first_time_count: int


_FEES: dict[str, Any] = {
    "institution_id": "inst_0123456789ab",
    "institution_name": "甘肃省某融资担保有限公司",
    "guarantee_count": 3,
    "amount_fen": 600_000_000,
    "average_fee_ratio": "0.015667",
    "weighted_fee_ratio": "0.015667",
    "max_fee_ratio": "0.020000",
    "above_target_count": 1,
    "above_target_amount_fen": 200_000_000,
    "above_target_share": "0.333333",
    "first_time_count": 1,
}


class GuaranteeFeeMonitor(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "target": {
                        "version": "gansu-2023-1",
                        "max_fee_ratio": "0.015",
                        "tiers": ["specialised", "little_giant"],
                        "source": "seed 000 (十四)",
                        "source_zh": "力争将专精特新企业担保费率降至1.5%以下",
                    },
                    "from_on": "2026-01-01",
                    "to_on": "2026-12-31",
                    "tier": None,
                    "items": [_FEES],
                    "totals": {**_FEES, "institution_id": None, "institution_name": None},
                }
            ]
        }
    )

    target: FeeTargetRead
    from_on: date | None
    to_on: date | None
    tier: Tier | None
    items: list[AgencyFees]
    """One row per guarantee agency, by id."""
    totals: AgencyFees


class LoanGroup(BaseModel):
    key: str | None
    """The institution id, tier (``unknown`` when not declared), 市州 code or month (YYYY-MM);
    None on the totals row."""
    label: str | None
    """The institution's name, where grouped by institution."""
    contacted_count: int
    refused_count: int
    granted_count: int
    granted_amount_fen: int
    first_time_count: int
    """Grants to first-time borrowers (首贷户)."""
    first_time_amount_fen: int
    average_rate_ratio: Decimal | None
    guaranteed_count: int
    """Grants carrying a guarantee fee (guaranteed loans)."""


_GROUP: dict[str, Any] = {
    "key": "inst_0123456789ab",
    "label": "甘肃某银行",
    "contacted_count": 4,
    "refused_count": 1,
    "granted_count": 2,
    "granted_amount_fen": 500_000_000,
    "first_time_count": 1,
    "first_time_amount_fen": 200_000_000,
    "average_rate_ratio": "0.034500",
    "guaranteed_count": 1,
}


class LoanStatistics(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_by": "institution",
                    "from_on": None,
                    "to_on": None,
                    "items": [_GROUP],
                    "totals": {**_GROUP, "key": None, "label": None},
                }
            ]
        }
    )

    group_by: LoanGrouping
    from_on: date | None
    to_on: date | None
    items: list[LoanGroup]
    totals: LoanGroup
