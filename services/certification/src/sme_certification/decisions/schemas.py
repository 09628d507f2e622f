from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_certification.applications.domain import FinalAction
from sme_common.text import CLEAN_TEXT

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.\[\]]{0,99}$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000), CLEAN_TEXT]


class FinalDecision(BaseModel):
    """The province's decision on an application (认定 / 不予认定)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "grant", "version": 8},
                {
                    "action": "reject",
                    "reasons": {"expert_score": "专家评审得分低于60分"},
                    "version": 7,
                },
            ]
        },
    )

    action: FinalAction
    reasons: dict[Key, Reason] = Field(default_factory=dict, max_length=50)
    """Why it is rejected, by field (required to reject)."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
