from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_certification.rules.facts import Level, Tier
from sme_common.contracts.base import USCC_PATTERN
from sme_common.text import CLEAN_TEXT

Name = Annotated[str, StringConstraints(min_length=1, max_length=100), CLEAN_TEXT]
Subject = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@+-]{1,200}$")]
Speciality = Annotated[str, StringConstraints(min_length=1, max_length=50), CLEAN_TEXT]
Uscc = Annotated[str, StringConstraints(pattern=USCC_PATTERN)]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{0,99}$")]
Score = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Remarks = Annotated[str, StringConstraints(max_length=4000), CLEAN_TEXT]


class ExpertCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "李明",
                    "subject": "expert-li-ming",
                    "home_region_code": "620502",
                    "specialities": ["新材料", "财务"],
                    "conflicts": ["91620102MA0000007Y"],
                }
            ]
        },
    )

    name: Name
    subject: Subject
    """The ``sub`` of the expert's token (role ``expert``)."""
    home_region_code: RegionCode
    """The county (or 市州) the expert is from; they never review an applicant of it."""
    specialities: list[Speciality] = Field(default_factory=list, max_length=20)
    conflicts: list[Uscc] = Field(default_factory=list, max_length=200)
    """Enterprises the expert declared a conflict of interest with (回避)."""


class ExpertUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"conflicts": ["91620102MA0000007Y"], "version": 1}]},
    )

    specialities: list[Speciality] | None = Field(default=None, max_length=20)
    conflicts: list[Uscc] | None = Field(default=None, max_length=200)
    active: bool | None = None
    version: int | None = Field(default=None, ge=1, le=999_999_999)


class ExpertRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "exp_0123456789abcdef",
                    "subject": "expert-li-ming",
                    "name": "李明",
                    "province_code": "620000",
                    "home_region_code": "620502",
                    "specialities": ["新材料", "财务"],
                    "conflicts": ["91620102MA0000007Y"],
                    "active": True,
                    "version": 1,
                    "created_at": "2026-06-02T02:00:00+00:00",
                    "created_by": "officer-620000",
                }
            ]
        },
    )

    id: str
    subject: str
    name: str
    province_code: str
    home_region_code: str
    specialities: list[str]
    conflicts: list[str]
    active: bool
    version: int
    created_at: datetime
    created_by: str


class ExpertPage(BaseModel):
    items: list[ExpertRead]


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"count": 3, "version": 5}]}
    )

    count: int | None = Field(default=None, ge=1, le=9)
    """How many experts (the service's ``expert_panel_size`` when left out, 3 by default)."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)


class PanelMember(BaseModel):
    assignment_id: str
    expert_id: str
    expert_name: str
    score: Decimal | None
    criteria_scores: dict[str, Decimal] | None
    remarks: str | None
    scored_at: datetime | None


class Panel(BaseModel):
    """The province's view of an application's experts and their scores."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "application_id": "app_0123456789abcdef",
                    "members": [
                        {
                            "assignment_id": "asg_0123456789abcdef",
                            "expert_id": "exp_0123456789abcdef",
                            "expert_name": "李明",
                            "score": "86.50",
                            "criteria_scores": None,
                            "remarks": "专业化程度高",
                            "scored_at": "2026-07-02T02:00:00+00:00",
                        }
                    ],
                    "expert_score": "86.50",
                }
            ]
        }
    )

    application_id: str
    members: list[PanelMember]
    expert_score: Decimal | None
    """The mean, once all scored (2 decimals, half up)."""


class ScoreSubmit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"score": "86.5", "remarks": "专业化程度高，创新能力较强"},
                {"criteria_scores": {"specialisation": "20", "innovation": "32.5"}},
            ]
        },
    )

    score: Score | None = None
    criteria_scores: dict[Key, Score] | None = Field(default=None, max_length=50)
    """Scores by the rule set's criteria; the overall score is their sum."""
    remarks: Remarks | None = None


class AssignedApplication(BaseModel):
    """What an expert sees of an application assigned to them: its content, their own score,
    never another expert's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "assignment_id": "asg_0123456789abcdef",
                    "application_id": "app_0123456789abcdef",
                    "uscc": "91620102MA0000007Y",
                    "enterprise_name": "兰州某新材料有限公司",
                    "tier": "specialised",
                    "level": "provincial",
                    "declared": {"rd_institution_level": "provincial"},
                    "assessment": {"outcome": "passed"},
                    "assigned_at": "2026-07-01T02:00:00+00:00",
                    "score": "86.50",
                    "criteria_scores": None,
                    "remarks": "专业化程度高",
                    "scored_at": "2026-07-02T02:00:00+00:00",
                }
            ]
        }
    )

    assignment_id: str
    application_id: str
    uscc: str
    enterprise_name: str
    tier: Tier
    level: Level
    declared: dict[str, Any]
    assessment: dict[str, Any] | None
    """The rule engine's explanation at filing."""
    assigned_at: datetime
    score: Decimal | None
    criteria_scores: dict[str, Decimal] | None
    remarks: str | None
    scored_at: datetime | None


class AssignedPage(BaseModel):
    items: list[AssignedApplication]
