"""Requests and answers of the entitlements API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from sme_common.ids import USCC_PATTERN, is_valid_uscc, make_uscc
from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT
from sme_funding.entitlements.domain import EntitlementStatus

EXAMPLE_USCC = make_uscc(region="620102", body="MA000001")
EXAMPLE_AT = "2026-06-15T02:00:00+00:00"


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _checked(value: str) -> str:
    if not is_valid_uscc(value):
        raise ValueError("not a unified social credit code: its check characters do not match")
    return value


Uscc = Annotated[
    str, BeforeValidator(_upper), Field(pattern=USCC_PATTERN), AfterValidator(_checked)
]
PolicyCode = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,63}$")]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Reason = Annotated[str, Field(min_length=1, max_length=1000), CLEAN_TEXT]

EXAMPLE_ENTITLEMENT: dict[str, Any] = {
    "id": "ent_5f2a9c01d3e4b677",
    "policy_code": "GS-ZJTX-PROV-FIRST",
    "policy_version": "2023-1",
    "trigger_key": "GS-ZJTX-PROV-FIRST:certificate_granted:cert_0a1b2c3d4e5f6789",
    "payee_kind": "enterprise",
    "payee_id": EXAMPLE_USCC,
    "uscc": EXAMPLE_USCC,
    "region_code": "620100",
    "county_code": "620102",
    "fund_code": "sme-development",
    "year": 2026,
    "amount_fen": 30_000_000,
    "full_amount_fen": 30_000_000,
    "explanation": [
        {
            "code": "first_only_first_certificate",
            "message_zh": "首次认定：该企业此前未获得同级同类证书。",
            "message_en": "First certificate: the enterprise held none of this tier and level.",
        }
    ],
    "status": "pending_approval",
    "blocked_reason": None,
    "certificate_id": "cert_0a1b2c3d4e5f6789",
    "created_at": EXAMPLE_AT,
    "updated_at": EXAMPLE_AT,
    "version": 1,
}


class ExplanationLineRead(BaseModel):
    code: str
    message_zh: str
    message_en: str


class EntitlementStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_status: EntitlementStatus | None
    to_status: EntitlementStatus
    actor: str
    at: datetime
    remarks: str | None


class EntitlementRead(BaseModel):
    """An entitlement (免申即享): what a policy gives its payee for one trigger, and why."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [EXAMPLE_ENTITLEMENT]}
    )

    id: str
    policy_code: str
    policy_version: str
    trigger_key: str
    payee_kind: str
    payee_id: str
    uscc: str | None
    region_code: str
    """The 市州 (reporting unit) whose allocation pays it."""
    county_code: str
    fund_code: str
    year: int
    amount_fen: int
    full_amount_fen: int
    """What the policy alone gives, before the stacking rules."""
    explanation: list[ExplanationLineRead]
    status: EntitlementStatus
    blocked_reason: list[str] | None
    """The blocking credit flag kinds in force, while blocked."""
    certificate_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class EntitlementDetail(EntitlementRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **EXAMPLE_ENTITLEMENT,
                    "history": [
                        {
                            "from_status": None,
                            "to_status": "pending_approval",
                            "actor": "consumer:funding.certificates",
                            "at": EXAMPLE_AT,
                            "remarks": "certificate_granted cert_0a1b2c3d4e5f6789",
                        }
                    ],
                }
            ]
        }
    )

    history: list[EntitlementStepRead]
    """Every status change, oldest first."""


class EntitlementPage(BaseModel):
    items: list[EntitlementRead]
    next_cursor: str | None


class EntitlementFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EntitlementStatus | None = None
    policy_code: PolicyCode | None = None
    uscc: Uscc | None = None
    region: RegionCode | None = None
    """The 市州 (reporting unit) code."""
    year: int | None = Field(default=None, ge=2000, le=2100)
    certificate_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class EnterpriseEntitlementFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: EntitlementStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None


class Cancellation(BaseModel):
    """Cancel an entitlement not yet approved (blocked or pending approval), with the reason."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reason": "企业已注销，不再发放", "version": 1}]},
    )

    reason: Reason
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class EvaluationReport(BaseModel):
    evaluated: int
    """Certificate triggers evaluated in this run."""
    created: int
    """Entitlements they created."""
    still_awaiting: int
    """Triggers whose enterprise funding's directory does not know yet."""
