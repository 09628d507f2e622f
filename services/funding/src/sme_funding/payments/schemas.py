"""Requests and answers of the payments API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.ids import make_uscc
from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT
from sme_funding.payments.domain import BatchStatus, LineStatus, Outcome
from sme_funding.policies.domain import PayeeKind

BATCH_ID_PATTERN = r"^pay_[0-9a-f]{12}$"
LINE_ID_PATTERN = r"^pl_[0-9a-f]{16}$"
LineId = Annotated[str, StringConstraints(pattern=LINE_ID_PATTERN)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
FundCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
BankReference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,64}$")]
FailureReason = Annotated[str, Field(min_length=1, max_length=500), CLEAN_TEXT]

EXAMPLE_AT = "2026-06-15T02:00:00+00:00"
EXAMPLE_USCC = make_uscc(region="620102", body="MA000001")
EXAMPLE_LINE: dict[str, Any] = {
    "id": "pl_0a1b2c3d4e5f6789",
    "position": 1,
    "entitlement_id": "ent_5f2a9c01d3e4b677",
    "policy_code": "GS-ZJTX-PROV-FIRST",
    "payee_kind": "enterprise",
    "payee_id": EXAMPLE_USCC,
    "uscc": EXAMPLE_USCC,
    "payee_account_ref": None,
    "region_code": "620100",
    "amount_fen": 30_000_000,
    "status": "pending",
    "result_on": None,
    "bank_reference": None,
    "failure_reason": None,
    "result_at": None,
}
EXAMPLE_BATCH_READ: dict[str, Any] = {
    "id": "pay_0a1b2c3d4e5f",
    "province_code": "620000",
    "region_code": "620100",
    "fund_code": "sme-development-fund",
    "year": 2026,
    "payee_kind": "enterprise",
    "status": "draft",
    "control": {"count": 1, "sum_fen": 30_000_000},
    "lines_total": {"count": 1, "sum_fen": 30_000_000},
    "control_totals_match": True,
    "version": 1,
    "created_at": EXAMPLE_AT,
    "created_by": "officer-1",
    "sealed_at": None,
    "sealed_by": None,
    "updated_at": EXAMPLE_AT,
}
EXAMPLE_BATCH: dict[str, Any] = {**EXAMPLE_BATCH_READ, "lines": [EXAMPLE_LINE]}


class BatchCreate(BaseModel):
    """Which approved entitlements to pay: those of one fund (and year), optionally of one 市州
    and one payee kind, oldest id first, up to ``max_lines``. Failed ones (returned by the bank)
    are taken again."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "fund_code": "sme-development-fund",
                    "year": 2026,
                    "region": "620100",
                    "payee_kind": "enterprise",
                    "max_lines": 500,
                }
            ]
        },
    )

    fund_code: FundCode
    year: int | None = Field(default=None, ge=2000, le=2100)
    region: RegionCode | None = None
    """The 市州 (reporting unit); a city officer's batches are always of its own 市州."""
    payee_kind: PayeeKind | None = None
    max_lines: int = Field(default=500, ge=1, le=1000)


class VersionSent(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 1}]})

    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class PaymentLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    position: int
    entitlement_id: str
    policy_code: str
    payee_kind: str
    payee_id: str
    uscc: str | None
    payee_account_ref: str | None
    """The payee's account reference when funding knows it (null: the bank matches the payee)."""
    region_code: str
    amount_fen: int
    status: LineStatus
    result_on: date | None
    bank_reference: str | None
    failure_reason: str | None
    result_at: datetime | None


class TotalsRead(BaseModel):
    count: int
    sum_fen: int


class BatchRead(BaseModel):
    id: str
    province_code: str
    region_code: str
    """The 市州, or the province for a province-wide batch."""
    fund_code: str
    year: int | None
    payee_kind: str | None
    status: BatchStatus
    control: TotalsRead
    """The control totals (笔数 / 金额合计) fixed when the batch was made."""
    lines_total: TotalsRead
    """The same, recomputed from the lines now."""
    control_totals_match: bool
    version: int
    created_at: datetime
    created_by: str
    sealed_at: datetime | None
    sealed_by: str | None
    updated_at: datetime


class BatchDetail(BatchRead):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_BATCH]})

    lines: list[PaymentLineRead]


class BatchPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_BATCH_READ], "next_cursor": None}]}
    )

    items: list[BatchRead]
    next_cursor: str | None


class BatchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: BatchStatus | None = None
    region: RegionCode | None = None
    fund_code: FundCode | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class LineResult(BaseModel):
    """The bank's result for one line: ``paid`` with the day and its reference, or ``failed``
    with the reason (and the day, today if not given)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    line_id: LineId
    outcome: Outcome
    paid_on: date | None = None
    """The day of payment (for a failure: the day the bank refused it)."""
    bank_reference: BankReference | None = None
    failure_reason: FailureReason | None = None


class ResultsPost(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "line_id": "pl_0a1b2c3d4e5f6789",
                            "outcome": "paid",
                            "paid_on": "2026-06-12",
                            "bank_reference": "ICBC-20260612-0001",
                        },
                        {
                            "line_id": "pl_1a1b2c3d4e5f6789",
                            "outcome": "failed",
                            "paid_on": "2026-06-12",
                            "failure_reason": "账户已销户 / account closed",
                        },
                    ]
                }
            ]
        },
    )

    results: list[LineResult] = Field(min_length=1, max_length=1000)


class ResultsReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applied": 1,
                    "unchanged": 0,
                    "batch": {
                        **EXAMPLE_BATCH,
                        "status": "reconciled",
                        "version": 3,
                        "sealed_at": EXAMPLE_AT,
                        "sealed_by": "officer-1",
                        "lines": [
                            {
                                **EXAMPLE_LINE,
                                "status": "paid",
                                "result_on": "2026-06-12",
                                "bank_reference": "ICBC-20260612-0001",
                                "result_at": EXAMPLE_AT,
                            }
                        ],
                    },
                }
            ]
        }
    )

    applied: int
    """Lines whose result was recorded now."""
    unchanged: int
    """Lines that had this very result already (a repeated posting)."""
    batch: BatchDetail


class DifferenceRead(BaseModel):
    code: str
    message_en: str
    message_zh: str
    line_id: str | None
    expected: int | None
    actual: int | None


class ReconciliationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "pay_0a1b2c3d4e5f",
                    "status": "reconciled",
                    "control": {"count": 1, "sum_fen": 30_000_000},
                    "lines": {"count": 1, "sum_fen": 30_000_000},
                    "paid": {"count": 1, "sum_fen": 30_000_000},
                    "failed": {"count": 0, "sum_fen": 0},
                    "pending": {"count": 0, "sum_fen": 0},
                    "ledger": {"count": 1, "sum_fen": 30_000_000},
                    "balanced": True,
                    "differences": [],
                }
            ]
        }
    )

    batch_id: str
    status: BatchStatus
    control: TotalsRead
    lines: TotalsRead
    paid: TotalsRead
    failed: TotalsRead
    pending: TotalsRead
    ledger: TotalsRead
    """Payments the ledger recorded for this batch."""
    balanced: bool
    differences: list[DifferenceRead]


def totals_read(value: Any) -> TotalsRead:
    return TotalsRead(count=value.count, sum_fen=value.sum_fen)
