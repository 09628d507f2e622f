"""Requests and answers of the recovery-order API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sme_common.pagination import CursorParameter
from sme_funding.clawback.domain import RecoveryStatus
from sme_funding.entitlements.schemas import EXAMPLE_USCC, RegionCode, Uscc

ORDER_ID_PATTERN = r"^rec_[0-9a-f]{16}$"
RECEIPT_REF_PATTERN = r"^[A-Za-z0-9_.:/-]{1,100}$"

EXAMPLE_ORDER: dict[str, Any] = {
    "id": "rec_0a1b2c3d4e5f6789",
    "entitlement_id": "ent_5f2a9c01d3e4b677",
    "certificate_id": "cert_0a1b2c3d4e5f6789",
    "uscc": EXAMPLE_USCC,
    "region_code": "620100",
    "county_code": "620102",
    "policy_code": "GS-ZJTX-PROV-FIRST",
    "fund_code": "sme-development-fund",
    "year": 2026,
    "amount_fen": 30_000_000,
    "recovered_fen": 10_000_000,
    "outstanding_fen": 20_000_000,
    "status": "partially_recovered",
    "raised_on": "2026-09-01",
    "reason": "证书因虚假申报被撤销（false declaration）",
    "created_at": "2026-09-01T02:00:00+00:00",
    "updated_at": "2026-09-20T02:00:00+00:00",
    "version": 2,
}


class RecoveryReceiptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    receipt_ref: str
    amount_fen: int
    received_on: date
    recorded_at: datetime
    recorded_by: str


class RecoveryOrderRead(BaseModel):
    """A recovery order (追回令): money an award paid, to be recovered from the enterprise."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [EXAMPLE_ORDER]})

    id: str
    entitlement_id: str
    certificate_id: str
    uscc: str
    region_code: str
    """The 市州 whose allocation paid the award."""
    county_code: str
    policy_code: str
    fund_code: str
    year: int
    amount_fen: int
    """To be recovered (what was paid)."""
    recovered_fen: int
    outstanding_fen: int
    status: RecoveryStatus
    raised_on: date | None
    """None while the entitlement's batch payment awaits the bank's result."""
    reason: str
    created_at: datetime
    updated_at: datetime
    version: int


class RecoveryOrderDetail(RecoveryOrderRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE_ORDER,
                    "receipts": [
                        {
                            "receipt_ref": "GK-2026-000123",
                            "amount_fen": 10_000_000,
                            "received_on": "2026-09-20",
                            "recorded_at": "2026-09-20T02:00:00+00:00",
                            "recorded_by": "officer-1",
                        }
                    ],
                }
            ]
        }
    )

    receipts: list[RecoveryReceiptRead]
    """Money received back, oldest first."""


class RecoveryOrderPage(BaseModel):
    items: list[RecoveryOrderRead]
    next_cursor: str | None


class RecoveryOrderFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RecoveryStatus | None = None
    uscc: Uscc | None = None
    region: RegionCode | None = None
    """The 市州 (reporting unit) code."""
    certificate_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class ReceiptCreate(BaseModel):
    """Money received back (追回到账) against the order, once per ``receipt_ref`` (the treasury's
    or bank's reference): sending the same receipt again changes nothing."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "amount_fen": 10_000_000,
                    "received_on": "2026-09-20",
                    "receipt_ref": "GK-2026-000123",
                }
            ]
        },
    )

    amount_fen: int = Field(gt=0, le=10**15)
    received_on: date
    receipt_ref: Annotated[str, Field(pattern=RECEIPT_REF_PATTERN)]
