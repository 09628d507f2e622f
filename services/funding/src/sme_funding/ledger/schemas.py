from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_funding.ledger.domain import Account, EntryKind

FundId = Annotated[str, StringConstraints(pattern=r"^fund_[0-9a-f]{12}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
SubjectRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:/-]{1,200}$")]


class BalanceFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fund_id: FundId | None = None
    region_code: RegionCode | None = None
    account: Account | None = None


class BalanceRead(BaseModel):
    fund_id: str
    region_code: str
    account: str
    debit_fen: int
    credit_fen: int
    balance_fen: int
    """Debits minus credits (credit-normal accounts are negative)."""


class BalancesRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "fund_id": "fund_0123456789ab",
                            "region_code": "620100",
                            "account": "budget:available",
                            "debit_fen": 100000000,
                            "credit_fen": 30000000,
                            "balance_fen": 70000000,
                        }
                    ],
                    "debit_fen": 100000000,
                    "credit_fen": 30000000,
                }
            ]
        }
    )

    items: list[BalanceRead]
    debit_fen: int
    """Debits of the accounts listed; over the whole ledger they equal the credits."""
    credit_fen: int


class EntryFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fund_id: FundId | None = None
    subject_ref: SubjectRef | None = None
    kind: EntryKind | None = None
    limit: int = Field(default=50, ge=1, le=500)
    cursor: CursorParameter = None


class JournalLineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    region_code: str
    account: str
    debit_fen: int
    credit_fen: int


class EntryRead(BaseModel):
    id: int
    at: datetime
    booked_on: date
    kind: str
    fund_id: str
    subject_ref: str | None
    memo: str
    actor: str
    lines: list[JournalLineRead]


class EntryPage(BaseModel):
    items: list[EntryRead]
    next_cursor: str | None = None
