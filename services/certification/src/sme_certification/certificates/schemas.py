from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from sme_certification.certificates.domain import RevocationReason, Status
from sme_certification.rules.facts import Level, Tier
from sme_common.ids import USCC_PATTERN, is_valid_uscc, make_uscc
from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT

EXAMPLE_USCC = make_uscc(region="620102", body="MA000001")
EXAMPLE_AT = "2026-03-02T09:30:00+08:00"
NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9()（）〔〕\-_/. ]{0,63}$"

Note = Annotated[str, Field(min_length=1, max_length=1000), CLEAN_TEXT]


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _checked(value: str) -> str:
    if not is_valid_uscc(value):
        raise ValueError("not a unified social credit code: its check characters do not match")
    return value


Uscc = Annotated[
    str, BeforeValidator(_upper), Field(pattern=USCC_PATTERN), AfterValidator(_checked)
]

EXAMPLE_CERTIFICATE: dict[str, Any] = {
    "id": "cert_5f2a9c01d3e4b677",
    "number": "GS-ZJTX-2026-000123",
    "uscc": EXAMPLE_USCC,
    "enterprise_name": "兰州示例精密科技有限公司",
    "tier": "specialised",
    "level": "provincial",
    "issued_on": "2026-06-15",
    "expires_on": "2029-06-15",
    "status": "valid",
    "in_force": True,
    "verification_code": "7K3MQ9XD2F8HJ4RW6TNB",
    "classified": False,
    "application_id": None,
    "origin": "recorded",
    "re_review_notified_on": None,
    "re_review_filed_on": None,
    "re_review_application_id": None,
    "renewed_on": None,
    "ended_on": None,
    "revocation_reason": None,
    "revocation_note": None,
    "banned_until": None,
    "version": 1,
    "recorded_at": EXAMPLE_AT,
    "recorded_by": "user:officer-620000",
}


class CertificateRecord(BaseModel):
    """A title granted before the platform existed (存量), or granted elsewhere, entered by a
    province officer. Without ``number`` the platform gives the next one of its own scheme."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "uscc": EXAMPLE_USCC,
                    "tier": "specialised",
                    "level": "provincial",
                    "issued_on": "2025-06-15",
                    "number": "GSZJTX-2025-0042",
                    "classified": False,
                }
            ]
        },
    )

    uscc: Uscc
    tier: Tier
    level: Level
    issued_on: date
    number: Annotated[str, Field(pattern=NUMBER_PATTERN)] | None = Field(
        default=None, description="the number printed on the existing certificate"
    )
    classified: bool = Field(default=False, description="涉密: never shown in public")


class ReReviewFiling(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"filed_on": "2029-05-20", "application_id": None}]},
    )

    filed_on: date
    application_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None


class ReReviewDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"passed": True, "decided_on": "2029-06-10", "note": "复核通过"}]
        },
    )

    passed: bool
    decided_on: date
    note: Note | None = None


class Revocation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "reason": "false_declaration",
                    "revoked_on": "2026-09-01",
                    "note": "申报材料研发费用数据造假",
                }
            ]
        },
    )

    reason: RevocationReason
    revoked_on: date
    note: Note


class CertificateRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_CERTIFICATE]}
    )

    id: str
    number: str
    uscc: str
    enterprise_name: str
    tier: Tier
    level: Level
    issued_on: date
    expires_on: date = Field(description="the last day the title is valid")
    status: Status
    in_force: bool = Field(description="valid, or under re-review (still valid)")
    verification_code: str
    classified: bool
    application_id: str | None
    origin: Literal["application", "recorded"]
    re_review_notified_on: date | None
    re_review_filed_on: date | None
    re_review_application_id: str | None = Field(
        default=None, description="the re-review application that filed the re-review"
    )
    renewed_on: date | None
    ended_on: date | None = Field(description="the day it expired or was revoked")
    revocation_reason: RevocationReason | None
    revocation_note: str | None
    banned_until: date | None = Field(
        description="false declaration: the last day of the ban on reapplying"
    )
    version: int
    recorded_at: datetime
    recorded_by: str


class CertificatePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_CERTIFICATE], "next_cursor": None}]}
    )

    items: list[CertificateRead]
    next_cursor: str | None


class CertificateFilters(BaseModel):
    uscc: Uscc | None = None
    tier: Tier | None = None
    status: Status | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class Verification(BaseModel):
    """What anyone may learn from a verification code: no person, no address, no figures."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": "GS-ZJTX-2026-000123",
                    "enterprise_name": "兰州示例精密科技有限公司",
                    "tier": "specialised",
                    "title_zh": "专精特新中小企业",
                    "level": "provincial",
                    "issued_on": "2026-06-15",
                    "expires_on": "2029-06-15",
                    "status": "valid",
                    "valid": True,
                    "checked_on": "2026-11-27",
                }
            ]
        }
    )

    number: str
    enterprise_name: str
    tier: Tier
    title_zh: str
    level: Level
    issued_on: date
    expires_on: date
    status: Status
    valid: bool = Field(description="the title is in force on checked_on")
    checked_on: date


class LifecycleReport(BaseModel):
    """What one run of the lifecycle jobs did on ``on`` (certificate ids)."""

    on: date
    re_review_notified: list[str]
    expired: list[str]
    revoked_unfiled: list[str]
