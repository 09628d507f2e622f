"""Requests and answers of the approvals API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from sme_common.pagination import CursorParameter
from sme_common.text import CLEAN_TEXT
from sme_funding.approvals.domain import ApprovalAction, ApprovalState, StepLevel
from sme_funding.entitlements.domain import EntitlementStatus

Remarks = Annotated[str, Field(min_length=1, max_length=1000), CLEAN_TEXT]
Version = Annotated[int, Field(ge=1, le=999_999_999)]


class StepDecision(BaseModel):
    """The step you take on an entitlement's approval: approve (通过), return (退回: back to the
    first step) or reject (不予批准: cancelled); a return or rejection says why."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [{"action": "approve", "remarks": "材料齐全，同意", "version": 1}]
        },
    )

    action: Annotated[
        ApprovalAction,
        Field(description="approve | return | reject (withdraw is its own operation)"),
    ]
    remarks: Remarks | None = None
    version: Version | None = None
    """The entitlement's version you read (or send it as If-Match)."""


class Withdrawal(BaseModel):
    """Withdraw (撤销) an approved entitlement not yet in a payment batch: it is cancelled and
    its budget commitment released."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"remarks": "企业已注销，撤销批准", "version": 4}]},
    )

    remarks: Remarks
    version: Version | None = None


class ChainStepRead(BaseModel):
    position: int
    role: str
    level: StepLevel
    name_zh: str
    name_en: str


class ApprovalStepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    round: int
    position: int | None
    role: str
    action: ApprovalAction
    actor: str
    remarks: str | None
    entitlement_version: int
    at: datetime


_CITY_STEP: dict[str, Any] = {
    "position": 1,
    "role": "city_officer",
    "level": "city",
    "name_zh": "市州审核",
    "name_en": "市州 review",
}
_PROVINCE_STEP: dict[str, Any] = {
    "position": 2,
    "role": "province_officer",
    "level": "province",
    "name_zh": "省级审批",
    "name_en": "provincial approval",
}


class ApprovalRead(BaseModel):
    """An entitlement's approval: its chain, where it stands, who acts next, every step."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entitlement_id": "ent_0a1b2c3d4e5f6789",
                    "entitlement_status": "pending_approval",
                    "version": 2,
                    "amount_fen": 30_000_000,
                    "chains_version": "2026-config-1",
                    "tier_code": "standard",
                    "chain": [_CITY_STEP, _PROVINCE_STEP],
                    "state": "in_progress",
                    "round": 1,
                    "next_step": _PROVINCE_STEP,
                    "steps": [
                        {
                            "round": 1,
                            "position": 1,
                            "role": "city_officer",
                            "action": "approve",
                            "actor": "lanzhou-officer-01",
                            "remarks": "材料齐全",
                            "entitlement_version": 2,
                            "at": "2026-06-10T02:00:00Z",
                        }
                    ],
                }
            ]
        }
    )

    entitlement_id: str
    entitlement_status: EntitlementStatus
    version: int
    """The entitlement's version: send it with the next step."""
    amount_fen: int
    chains_version: str
    tier_code: str
    chain: list[ChainStepRead]
    state: ApprovalState
    round: int
    next_step: ChainStepRead | None
    """The step to take now (None when nothing can be taken: approved, rejected, withdrawn,
    or the entitlement is not pending approval)."""
    steps: list[ApprovalStepRead]
    """Every step taken, oldest first."""


class QueueItem(BaseModel):
    entitlement_id: str
    policy_code: str
    uscc: str | None
    payee_id: str
    region_code: str
    amount_fen: int
    year: int
    version: int
    round: int
    next_step: ChainStepRead
    chain_length: int


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


class QueueFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200)
    cursor: CursorParameter = None
