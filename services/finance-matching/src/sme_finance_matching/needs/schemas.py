from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sme_common.pagination import CursorParameter
from sme_finance_matching.fields import AmountFen, FreeText, RefId, TermMonths, Uscc
from sme_finance_matching.institutions.domain import Tier
from sme_finance_matching.needs.domain import Collateral, NeedStatus, Urgency
from sme_finance_matching.products.domain import SizeClass

_NEED: dict[str, Any] = {
    "uscc": "91620102MA00001038",
    "amount_fen": 300_000_000,
    "purpose": "购置数控加工设备，扩大精密零部件产能",
    "term_months": 24,
    "collateral": "intellectual_property",
    "urgency": "normal",
    "tier": "specialised",
    "size_class": "small",
    "addressed_institution_ids": [],
}


class NeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_NEED]})

    uscc: Uscc | None = None
    """The enterprise; an enterprise token may leave it out (it files for itself)."""
    amount_fen: AmountFen
    purpose: FreeText
    term_months: TermMonths
    collateral: Collateral = Collateral.NONE
    urgency: Urgency = Urgency.NORMAL
    tier: Tier | None = None
    """The tier the enterprise holds (as filed; matched against products' tiers)."""
    size_class: SizeClass | None = None
    addressed_institution_ids: list[RefId] = Field(default_factory=list, max_length=20)
    """Institutions chosen by the enterprise: when named, only they see the need and only their
    products are matched; empty, every institution with an eligible product sees it."""


class NeedUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"amount_fen": 200_000_000, "version": 1}]},
    )

    amount_fen: AmountFen | None = None
    purpose: FreeText | None = None
    term_months: TermMonths | None = None
    collateral: Collateral | None = None
    urgency: Urgency | None = None
    tier: Tier | None = None
    size_class: SizeClass | None = None
    addressed_institution_ids: list[RefId] | None = Field(default=None, max_length=20)
    status: NeedStatus | None = None
    """Only ``withdrawn``: the other statuses follow matching and the institutions' answers."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class NeedRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "need_0123456789ab",
                    **_NEED,
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "industry_code": "C3484",
                    "status": "matched",
                    "version": 1,
                    "created_at": "2026-11-26T02:00:00+00:00",
                    "created_by": "person-1",
                    "updated_at": "2026-11-26T02:00:00+00:00",
                    "updated_by": "person-1",
                }
            ]
        }
    )

    id: str
    uscc: str
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    tier: Tier | None
    size_class: SizeClass | None
    amount_fen: int
    purpose: str
    term_months: int
    collateral: Collateral
    urgency: Urgency
    addressed_institution_ids: list[str]
    """For an institution's client, itself alone if it is among them."""
    status: NeedStatus
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class NeedPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"items": NeedRead.model_json_schema()["examples"], "next_cursor": None}]
        }
    )

    items: list[NeedRead]
    next_cursor: str | None


class NeedFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: NeedStatus | None = None
    uscc: Uscc | None = None
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)


class CriterionRead(BaseModel):
    name: str
    """amount, term, tier, industry, region, size."""
    met: bool
    points: int
    max_points: int
    reason: str
    reason_zh: str


class MatchRead(BaseModel):
    product_id: str
    institution_id: str
    product_name: str
    score: int
    """0–100: the weights of the criteria met."""
    eligible: bool
    """Every criterion met."""
    criteria: list[CriterionRead]


class MatchList(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "need_id": "need_0123456789ab",
                    "weights_version": "2026-11-26",
                    "items": [
                        {
                            "product_id": "prod_0123456789ab",
                            "institution_id": "inst_0123456789ab",
                            "product_name": "专精特新贷",
                            "score": 100,
                            "eligible": True,
                            "criteria": [
                                {
                                    "name": "amount",
                                    "met": True,
                                    "points": 25,
                                    "max_points": 25,
                                    "reason": "amount 300000000 fen is within the product's "
                                    "10000000–1000000000",
                                    "reason_zh": "金额 300000000分在产品范围 10000000–1000000000分内",
                                }
                            ],
                        }
                    ],
                }
            ]
        }
    )

    need_id: str
    weights_version: str
    items: list[MatchRead]
    """Eligible products first, then by score; an institution sees its own products only."""
