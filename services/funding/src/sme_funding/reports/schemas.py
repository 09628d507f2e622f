"""Requests and answers of the funding report."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field


class GroupBy(enum.StrEnum):
    POLICY = "policy"
    FUND = "fund"
    REGION = "region"
    """The 市州 (reporting unit) whose allocation pays."""
    YEAR = "year"


class ReportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


class ReportFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_by: GroupBy = GroupBy.POLICY
    year: int | None = Field(default=None, ge=2000, le=2100)
    """The entitlements' year (of their trigger)."""
    format: ReportFormat | None = None
    """``csv`` for a CSV file (or send ``Accept: text/csv``)."""


class ReportRow(BaseModel):
    key: str
    """The policy code, fund code, 市州 code or year of the group."""
    entitlements: int
    """Entitlements in the group, any status."""
    entitled_fen: int
    """What the entitlements not cancelled (and payable) give."""
    committed_fen: int
    """Budget set aside for them and not given back (a released commitment keeps what it paid)."""
    paid_fen: int
    recovery_raised_fen: int
    """Ordered back by clawback (追回)."""
    recovered_fen: int
    outstanding_recovery_fen: int


class FundingReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_by": "policy",
                    "year": 2026,
                    "rows": [
                        {
                            "key": "GS-ZJTX-PROV-FIRST",
                            "entitlements": 3,
                            "entitled_fen": 60_000_000,
                            "committed_fen": 60_000_000,
                            "paid_fen": 30_000_000,
                            "recovery_raised_fen": 30_000_000,
                            "recovered_fen": 10_000_000,
                            "outstanding_recovery_fen": 20_000_000,
                        }
                    ],
                    "total": {
                        "key": "total",
                        "entitlements": 3,
                        "entitled_fen": 60_000_000,
                        "committed_fen": 60_000_000,
                        "paid_fen": 30_000_000,
                        "recovery_raised_fen": 30_000_000,
                        "recovered_fen": 10_000_000,
                        "outstanding_recovery_fen": 20_000_000,
                    },
                }
            ]
        }
    )

    group_by: GroupBy
    year: int | None
    rows: list[ReportRow]
    total: ReportRow
