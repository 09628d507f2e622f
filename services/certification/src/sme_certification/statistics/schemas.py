from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from sme_certification.statistics.domain import Counting


class TargetRead(BaseModel):
    tier: str
    level: str | None = Field(description="null: titles of any level count")
    at_least: int
    name_zh: str


class TargetSetRead(BaseModel):
    """A province's cultivation targets as the data file has them, with their sources."""

    id: str
    file_version: str
    province_code: str
    name_zh: str
    sources: list[str]
    deadline_on: date
    counting: Counting
    counting_note_zh: str
    counted_from: date | None
    counted_from_verification: str
    targets: list[TargetRead]


class TargetProgressRead(BaseModel):
    tier: str
    level: str | None
    name_zh: str
    at_least: int
    counting: Counting
    counted_on: date = Field(description="the deadline, or today while it has not come")
    counted: int = Field(description="enterprises counted toward the target, the target's way")
    cumulative_now: int = Field(
        description="enterprises ever granted the title (false declarations excluded)"
    )
    in_force_now: int = Field(description="enterprises holding the title today")
    met: bool | None = Field(description="null unless the counts cover the whole province")


class TitleRowRead(BaseModel):
    tier: str
    level: str
    reporting_unit_code: str
    reporting_unit_name: str
    year: int = Field(description="year of issue")
    granted: int
    in_force: int = Field(description="valid or under re-review today")
    expired: int
    revoked: int
    revoked_false_declaration: int


class TitleStatistics(BaseModel):
    """Titles by tier, level, 市州 and year of issue, and the province's targets."""

    province_code: str
    as_of: date
    scope_level: str = Field(description="province, reporting_unit, county or all")
    scope_code: str | None
    whole_province: bool
    targets: TargetSetRead | None = Field(description="null when the province set none here")
    progress: list[TargetProgressRead]
    rows: list[TitleRowRead]


class FunnelRowRead(BaseModel):
    batch_id: str
    tier: str
    level: str
    year: int
    by_status: dict[str, int]
    filed: int = Field(description="every application but drafts")
    granted: int = Field(description="certificates granted from the batch's applications")


class Funnel(BaseModel):
    """Applications of each batch by status (培育漏斗), in the caller's region."""

    province_code: str
    items: list[FunnelRowRead]
