from __future__ import annotations

import enum
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_complaints.respondents.domain import RespondentType

Cursor = Annotated[str, StringConstraints(max_length=200)]


class RespondentFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    respondent_type: RespondentType | None = None
    repeat_only: bool = False
    """Only respondents with two cases or more, or the same complainant more than once."""
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class RespondentFigures(BaseModel):
    """One respondent's record (被投诉人记录) in your region: its cases and the money in them. The
    complainants are counted, never named; no contact data."""

    key: str
    """The respondent's USCC, or ``n`` + 32 hex digits for one known only by name and region."""
    name: str
    """As given on its latest case."""
    uscc: str | None
    respondent_type: RespondentType
    region_code: str
    cases: int
    open_cases: int
    settled_cases: int
    """Resolved with money: paid in full, paid in part or a repayment agreement."""
    closed_cases: int
    not_accepted_cases: int
    possible_duplicates: int
    """Cases intake flagged as the same complainant, respondent and contract as an earlier one."""
    complainants: int
    repeat: bool
    """Two cases or more against it."""
    repeat_by_same_complainant: bool
    """One complainant complained about it more than once."""
    amount_owed_fen: int
    """Owed as complained, over its cases (not-accepted cases excepted)."""
    amount_paid_fen: int
    """Paid as recorded at resolution (paid in full, in part, or the part paid with an agreement)."""
    amount_under_agreement_fen: int
    """Owed but covered by a repayment agreement (owed − paid on those cases)."""
    amount_outstanding_fen: int
    """Owed − paid − under agreement: still owed on open, closed and partly paid cases."""
    first_received_on: date
    last_received_on: date


class RespondentPage(BaseModel):
    items: list[RespondentFigures]
    next_cursor: str | None


class RespondentCase(BaseModel):
    case_id: str
    status: str
    received_on: date
    complainant_no: int
    """1 for the first complainant of this respondent, 2 for the next … (not its identity)."""
    contract_signed_on: date | None
    contract_amount_fen: int | None
    amount_owed_fen: int
    outcome: str | None
    amount_paid_fen: int | None
    resolved_on: date | None
    department_id: str | None
    possible_duplicate_of: str | None


class RespondentRead(BaseModel):
    figures: RespondentFigures
    cases: list[RespondentCase]


class ReportFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"


class DisclosureFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[int, Field(ge=2020, le=2100)]
    """The year the figures are about (published in the next one)."""
    respondent_type: RespondentType | None = None
    format: ReportFormat | None = None
    """``csv`` for a CSV file (or send ``Accept: text/csv``)."""


class DisclosureDeadline(BaseModel):
    respondent_type: RespondentType
    publish_by: date
    channel_en: str
    channel_zh: str
    article: str
    status: str
    """``verified_primary``, or how the date was derived."""


class DisclosureRow(BaseModel):
    key: str
    name: str
    uscc: str | None
    respondent_type: RespondentType
    region_code: str
    overdue_contracts: int
    overdue_amount_fen: int
    """The amounts owed as complained on those contracts."""
    undetermined_contracts: int
    """Contracts whose last day to pay the stored facts do not fix (said, not guessed)."""
    publish_by: date
    article: str


class DisclosureReport(BaseModel):
    """The figures government bodies, public institutions and large enterprises must publish
    for ``year`` (逾期尚未支付中小企业款项的合同数量、金额, 国务院令第802号 第十八条), as the
    complaints in your region show them: one contract per case (possible duplicates and
    not-accepted cases left out), overdue when its last day to pay passed before the year's end
    and it was not paid in full on time or before the year began."""

    year: int
    as_of: date
    rules_version: int
    what_en: str
    what_zh: str
    sources: list[str]
    deadlines: list[DisclosureDeadline]
    items: list[DisclosureRow]
    total_overdue_contracts: int
    total_overdue_amount_fen: int
