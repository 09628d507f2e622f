from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_certification.applications.domain import ApplicationStatus, ReviewAction
from sme_certification.rules.facts import (
    ApplicationKind,
    AwardKind,
    AwardLevel,
    HonourKind,
    Level,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
)
from sme_common.contracts.base import USCC_PATTERN

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\[\]]{0,99}$")]
"""A field name (``honours``, ``year_values.2025.ip_class1_own_top3``, a document's ``field``)."""
Remark = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class DeclaredHeldTitle(BaseModel):
    """A title granted before the platform and not recorded on it. The engine reads the titles
    the platform's certificates show; a declared one only for a tier and level the enterprise has
    no certificate of here (the explanation marks which it read)."""

    model_config = ConfigDict(extra="forbid")

    tier: Tier
    level: Level
    issued_on: date
    expires_on: date
    revoked_on: date | None = None
    re_review_pending: bool = False


class DeclaredHonour(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: HonourKind
    valid_from: date
    valid_until: date


class DeclaredAward(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AwardKind
    level: AwardLevel
    awarded_on: date
    rank: int | None = Field(default=None, ge=1, le=100_000)


class DeclaredYear(BaseModel):
    """Per-year figures registry does not keep."""

    model_config = ConfigDict(extra="forbid")

    ip_class1_own_top3: Count | None = None
    """Ⅰ类知识产权 not transferred in, the firm among the first three right-holders (2号文 小巨人)."""


class DeclaredValues(BaseModel):
    """Facts the rules read that registry does not keep (yet), declared by the applicant and backed
    by evidence documents; a registry figure is never replaced by a declaration."""

    model_config = ConfigDict(extra="forbid")

    held_titles: list[DeclaredHeldTitle] | None = Field(default=None, max_length=20)
    honours: list[DeclaredHonour] | None = Field(default=None, max_length=50)
    awards: list[DeclaredAward] | None = Field(default=None, max_length=50)
    rd_institution_level: RdInstitutionLevel | None = None
    leading_product_fields: list[ProductField] | None = Field(default=None, max_length=20)
    quality_items: list[QualityItem] | None = Field(default=None, max_length=20)
    market_share_ratio: Decimal | None = Field(default=None, ge=0, le=1, max_digits=12)
    domestic_market_rank: int | None = Field(default=None, ge=1, le=100_000)
    quality_scores: dict[Annotated[int, Field(ge=2000, le=2100)], Decimal] | None = None
    """专精特新发展（质量）评价得分 by the year zjtx.miit.gov.cn issued it."""
    local_indicators: dict[Key, Decimal] | None = None
    year_values: dict[Annotated[int, Field(ge=2000, le=2100)], DeclaredYear] | None = None

    def as_input(self) -> dict[str, Any]:
        """JSON-shaped, as the engine's ``EvaluationInput.from_dict`` reads it."""
        raw = self.model_dump(mode="json", exclude_none=True)
        for name in ("market_share_ratio",):
            if name in raw:
                raw[name] = str(raw[name])
        return raw


_DECLARED_EXAMPLE: dict[str, Any] = {
    "rd_institution_level": "provincial",
    "leading_product_fields": ["six_foundations"],
    "quality_scores": {"2026": "63.5"},
    "year_values": {"2025": {"ip_class1_own_top3": 4}},
}


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "batch_id": "batch_0123456789ab",
                    "uscc": "91620102MA0000007Y",
                    "kind": "new",
                    "declared": _DECLARED_EXAMPLE,
                },
                {
                    "batch_id": "batch_0123456789ab",
                    "uscc": "91620102MA0000007Y",
                    "kind": "re_review",
                    "certificate_id": "cert_0123456789abcdef",
                },
            ]
        },
    )

    batch_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    uscc: Annotated[str, StringConstraints(pattern=USCC_PATTERN)]
    kind: ApplicationKind = ApplicationKind.NEW
    certificate_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = (
        None
    )
    """A re-review (复核) names the certificate it re-reviews (required; only for a re-review):
    the applicant's, of the batch's tier and level, in force and not past its last valid day
    unless its re-review was filed. Granting the re-review renews it."""
    declared: DeclaredValues = Field(default_factory=DeclaredValues)


class ApplicationUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"declared": _DECLARED_EXAMPLE, "version": 1}]},
    )

    declared: DeclaredValues
    """Replaces the declared values as a whole."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)


class VersionOnly(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 2}]})

    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class ReviewDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "approve_county_check", "version": 2},
                {
                    "action": "return",
                    "remarks": {"year_values": "请补充2025年Ⅰ类知识产权证明"},
                    "version": 3,
                },
            ]
        },
    )

    action: ReviewAction
    remarks: dict[Key, Remark] = Field(default_factory=dict, max_length=100)
    """By field: what to correct (required to return), or notes on a decision."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)


class ApplicationRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "app_0123456789abcdef",
                    "batch_id": "batch_0123456789ab",
                    "uscc": "91620102MA0000007Y",
                    "tier": "specialised",
                    "level": "provincial",
                    "kind": "new",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "status": "submitted",
                    "declared": _DECLARED_EXAMPLE,
                    "correction_remarks": None,
                    "assessment_outcome": "passed",
                    "version": 2,
                    "created_at": "2026-06-02T02:00:00+00:00",
                    "created_by": "enterprise-91620102MA0000007Y",
                    "updated_at": "2026-06-03T02:00:00+00:00",
                    "updated_by": "enterprise-91620102MA0000007Y",
                    "submitted_at": "2026-06-03T02:00:00+00:00",
                    "classified": False,
                    "expert_score": None,
                    "decision_reasons": None,
                    "certificate_id": None,
                }
            ]
        },
    )

    id: str
    batch_id: str
    uscc: str
    tier: Tier
    level: Level
    kind: ApplicationKind
    region_code: str
    reporting_unit_code: str
    status: ApplicationStatus
    declared: dict[str, Any]
    correction_remarks: dict[str, str] | None
    """What the last return asked to correct, by field (until submitted again)."""
    assessment_outcome: str | None = None
    """The rule engine's outcome when it was last submitted."""
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    submitted_at: datetime | None
    classified: bool = False
    """涉密 (seed 003 六(一)): decided without public notice, never in public lists."""
    expert_score: Decimal | None = None
    """The mean of the assigned experts' scores (2 decimals, half up), once all scored."""
    decision_reasons: dict[str, str] | None = None
    """Why it was rejected, by field."""
    certificate_id: str | None = None
    """The certificate granted on it; for a re-review, the certificate re-reviewed (renewed when
    granted)."""


class Classification(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"classified": True, "version": 5}]}
    )

    classified: bool
    version: int | None = Field(default=None, ge=1, le=999_999_999)


class ApplicationPage(BaseModel):
    items: list[ApplicationRead]
    next_cursor: str | None


class ApplicationFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    status: ApplicationStatus | None = None
    uscc: Annotated[str, StringConstraints(pattern=USCC_PATTERN)] | None = None
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(default=50, ge=1, le=200)


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    stage: str | None
    from_status: ApplicationStatus
    to_status: ApplicationStatus
    remarks: dict[str, str]
    version: int
    acted_at: datetime
    acted_by: str


class StepPage(BaseModel):
    items: list[StepRead]


class CriterionRead(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str


class AssessmentRead(BaseModel):
    """The rule engine's explanation: every criterion, the fact it read (year, value), the band,
    the points, pass/fail/unknown, and the rule set's id, version and fingerprint."""

    model_config = ConfigDict(extra="allow")

    uscc: str | None
    tier: str
    kind: str
    level: str
    province: str | None
    filed_on: str
    rule_set: dict[str, Any]
    overlays: list[dict[str, Any]]
    selected_by: str
    outcome: str
    """passed | passed_by_direct_route | failed | undetermined."""
    direct_routes_met: list[str]
    reasons: list[str]
    missing: list[str]
    score: dict[str, Any] | None
    criteria: list[CriterionRead]


EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")
"""What evidence may be: PDF as the national platform asks (zjtx.miit.gov.cn, policy-facts §1.6),
or a scanned image."""


class DocumentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Key
    """The declared value (or other item) the document supports, e.g. ``awards``."""
    filename: Annotated[
        str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")
    ]


class DocumentRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "doc_0123456789abcdef",
                    "application_id": "app_0123456789abcdef",
                    "field": "awards",
                    "filename": "省科技进步奖证书.pdf",
                    "content_type": "application/pdf",
                    "size_bytes": 183204,
                    "sha256": "9f2c" + "0" * 60,
                    "uploaded_at": "2026-06-03T02:00:00+00:00",
                    "uploaded_by": "enterprise-91620102MA0000007Y",
                }
            ]
        },
    )

    id: str
    application_id: str
    field: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    uploaded_by: str


class DocumentPage(BaseModel):
    items: list[DocumentRead]
