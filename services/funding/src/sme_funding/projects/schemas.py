"""Requests and answers of the subsidy projects API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT
from sme_funding.entitlements.schemas import EXAMPLE_USCC, PolicyCode, Reason, Uscc
from sme_funding.projects.domain import ProjectStatus

EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")
"""What evidence may be: PDF, or a scanned image."""

Fen = Annotated[int, Field(ge=0, le=10**15)]
Version = Annotated[int, Field(ge=1, le=999_999_999)]
Title = Annotated[str, Field(min_length=1, max_length=200), CLEAN_TEXT]
FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Remark = Annotated[str, Field(min_length=1, max_length=2000), CLEAN_TEXT]
Ratio = Annotated[Decimal, Field(gt=0, le=1, max_digits=6, decimal_places=4)]
PeriodDate = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]


class _Period(BaseModel):
    @model_validator(mode="after")
    def _ordered(self) -> Any:
        start, end = getattr(self, "period_from_on", None), getattr(self, "period_to_on", None)
        if start is not None and end is not None and start > end:
            raise ValueError("period_from_on is after period_to_on")
        return self


class ProjectCreate(_Period):
    """File a project (draft) for an enterprise under a subsidy-project policy in force in its
    province today."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "uscc": EXAMPLE_USCC,
                    "policy_code": "HB-TECH-UPGRADE",
                    "title": "数控加工中心技术改造项目",
                    "period_from_on": "2025-01-01",
                    "period_to_on": "2025-12-31",
                    "eligible_spend_fen": 2_000_000_000,
                    "total_investment_fen": 3_000_000_000,
                }
            ]
        },
    )

    uscc: Uscc
    policy_code: PolicyCode
    title: Title
    period_from_on: PeriodDate
    period_to_on: PeriodDate
    eligible_spend_fen: Fen
    """Equipment spend (技改) or 3-year construction spend (R&D platform), as declared."""
    total_investment_fen: Fen | None = None


class ProjectUpdate(_Period):
    """Change a draft or returned project (only the fields sent)."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"eligible_spend_fen": 1_800_000_000, "version": 2}]},
    )

    title: Title | None = None
    period_from_on: PeriodDate | None = None
    period_to_on: PeriodDate | None = None
    eligible_spend_fen: Fen | None = None
    total_investment_fen: Fen | None = None
    version: Version | None = None


class StepCommand(BaseModel):
    """Declare, attest, re-check or entitle: the version read, and remarks if any."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"remarks": "经核实，申报材料真实", "version": 3}]},
    )

    remarks: Remark | None = None
    version: Version | None = None
    """The version you read (or send it as If-Match)."""


class Acceptance(BaseModel):
    """The spend the province accepts (possibly lower than declared); for a rate-raisable policy
    the raised rate (within the policy's maximum); for an "up to" policy the amount."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "eligible_spend_fen": 2_500_000_000,
                    "total_investment_fen": None,
                    "rate_ratio": "0.15",
                    "version": 4,
                }
            ]
        },
    )

    eligible_spend_fen: Fen
    total_investment_fen: Fen | None = None
    rate_ratio: Ratio | None = None
    amount_fen: Fen | None = None
    remarks: Remark | None = None
    version: Version | None = None


class ProjectReturn(BaseModel):
    """Return (退回补正) to the filer, with a remark per field to correct."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"field_remarks": {"eligible_spend_fen": "请补充设备发票"}, "version": 3}]
        },
    )

    field_remarks: Annotated[dict[FieldName, Remark], Field(min_length=1, max_length=50)]
    remarks: Remark | None = None
    version: Version | None = None


class ProjectRejection(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "项目不属于技术改造范围", "version": 3}]},
    )

    reason: Reason
    version: Version | None = None


class ExplanationRead(BaseModel):
    code: str
    message_zh: str
    message_en: str


class ProjectRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "prj_0a1b2c3d4e5f6789",
                    "uscc": EXAMPLE_USCC,
                    "region_code": "420102",
                    "reporting_unit_code": "420100",
                    "policy_code": "HB-TECH-UPGRADE",
                    "policy_version": "2023-04-27",
                    "title": "数控加工中心技术改造项目",
                    "period_from_on": "2025-01-01",
                    "period_to_on": "2025-12-31",
                    "declared_eligible_spend_fen": 2_000_000_000,
                    "declared_total_investment_fen": 3_000_000_000,
                    "accepted_eligible_spend_fen": None,
                    "accepted_total_investment_fen": None,
                    "accepted_rate_ratio": None,
                    "accepted_amount_fen": None,
                    "amount_fen": None,
                    "explanation": [],
                    "remarks": {},
                    "status": "declared",
                    "filed_on": "2026-06-10",
                    "declared_on": "2026-06-10",
                    "filed_by": "enterprise:91420100MA4K0000X0",
                    "attested_by": None,
                    "checked_by": None,
                    "accepted_by": None,
                    "entitled_by": None,
                    "entitlement_id": None,
                    "created_at": "2026-06-10T02:00:00Z",
                    "updated_at": "2026-06-10T02:00:00Z",
                    "version": 2,
                }
            ]
        },
    )

    id: str
    uscc: str
    region_code: str
    reporting_unit_code: str
    policy_code: str
    policy_version: str
    title: str
    period_from_on: date
    period_to_on: date
    declared_eligible_spend_fen: int
    declared_total_investment_fen: int | None
    accepted_eligible_spend_fen: int | None
    accepted_total_investment_fen: int | None
    accepted_rate_ratio: Decimal | None
    accepted_amount_fen: int | None
    amount_fen: int | None
    explanation: list[ExplanationRead]
    remarks: dict[str, str]
    """The last return's remarks, per field."""
    status: ProjectStatus
    filed_on: date
    declared_on: date | None
    filed_by: str
    attested_by: str | None
    checked_by: str | None
    accepted_by: str | None
    entitled_by: str | None
    entitlement_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class ProjectPage(BaseModel):
    items: list[ProjectRead]
    next_cursor: str | None = None


class ProjectFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ProjectStatus | None = None
    policy_code: PolicyCode | None = None
    uscc: Uscc | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    from_status: str | None
    to_status: str
    actor: str
    actor_role: str
    at: datetime
    remarks: str | None
    field_remarks: dict[str, str]


class StepPage(BaseModel):
    items: list[StepRead]


class EvidenceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FieldName
    """What it supports: ``invoice``, ``contract``, ``audit_report`` …"""
    filename: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")
    ]


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    project_id: str
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class EvidencePage(BaseModel):
    items: list[EvidenceRead]
