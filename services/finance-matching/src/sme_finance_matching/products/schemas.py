from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.pagination import CursorParameter
from sme_finance_matching.fields import (
    AmountFen,
    FreeText,
    Name,
    Ratio,
    RefId,
    TermMonths,
    UnitCode,
)
from sme_finance_matching.institutions.domain import Tier
from sme_finance_matching.products.domain import ProductStatus, ProductType, SizeClass

Section = Annotated[str, StringConstraints(pattern=r"^[A-T]$")]

_TERMS: dict[str, Any] = {
    "name": "专精特新贷",
    "product_type": "credit_loan",
    "description": "面向专精特新中小企业的纯信用贷款，随借随还",
    "min_amount_fen": 10_000_000,
    "max_amount_fen": 1_000_000_000,
    "min_rate_ratio": "0.0300",
    "max_rate_ratio": "0.0450",
    "min_term_months": 6,
    "max_term_months": 36,
    "guarantee_fee_ratio": None,
    "eligible_tiers": ["specialised", "little_giant"],
    "eligible_industry_sections": ["C", "I"],
    "eligible_region_codes": ["620000"],
    "eligible_size_classes": ["small", "medium"],
}


class ProductCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"institution_id": "inst_0123456789ab", **_TERMS, "status": "active"}]
        },
    )

    institution_id: RefId | None = None
    """The offering institution: required from an officer; an institution's client may leave it
    out (it is its own)."""
    name: Name
    product_type: ProductType
    description: FreeText | None = None
    min_amount_fen: AmountFen
    max_amount_fen: AmountFen
    min_rate_ratio: Ratio
    """Lowest annual interest rate (``"0.0300"`` = 3 %)."""
    max_rate_ratio: Ratio
    min_term_months: TermMonths
    max_term_months: TermMonths
    guarantee_fee_ratio: Ratio | None = None
    """Annual guarantee fee, for guaranteed products (target ≤ 1.5 % for 专精特新, seed 000 (十四))."""
    eligible_tiers: list[Tier] = Field(default_factory=list, max_length=3)
    """Empty: any tier."""
    eligible_industry_sections: list[Section] = Field(default_factory=list, max_length=20)
    """GB/T 4754 sections (门类); empty: any industry."""
    eligible_region_codes: list[UnitCode] = Field(default_factory=list, max_length=40)
    """市州 or the province code; empty: anywhere the institution serves."""
    eligible_size_classes: list[SizeClass] = Field(default_factory=list, max_length=3)
    """Empty: any size."""
    status: ProductStatus = ProductStatus.DRAFT
    """draft (default) or active."""


class ProductUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"max_rate_ratio": "0.0420", "version": 1}]},
    )

    name: Name | None = None
    product_type: ProductType | None = None
    description: FreeText | None = None
    min_amount_fen: AmountFen | None = None
    max_amount_fen: AmountFen | None = None
    min_rate_ratio: Ratio | None = None
    max_rate_ratio: Ratio | None = None
    min_term_months: TermMonths | None = None
    max_term_months: TermMonths | None = None
    guarantee_fee_ratio: Ratio | None = None
    eligible_tiers: list[Tier] | None = Field(default=None, max_length=3)
    eligible_industry_sections: list[Section] | None = Field(default=None, max_length=20)
    eligible_region_codes: list[UnitCode] | None = Field(default=None, max_length=40)
    eligible_size_classes: list[SizeClass] | None = Field(default=None, max_length=3)
    status: ProductStatus | None = None
    """draft → active ⇄ withdrawn."""
    version: int | None = Field(default=None, ge=1, le=999_999_999)
    """The version you read (or send it as If-Match)."""


class ProductRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "prod_0123456789ab",
                    "institution_id": "inst_0123456789ab",
                    **_TERMS,
                    "status": "active",
                    "version": 2,
                    "created_at": "2026-11-20T02:00:00+00:00",
                    "created_by": "client:gansu-example-bank",
                    "updated_at": "2026-11-21T02:00:00+00:00",
                    "updated_by": "client:gansu-example-bank",
                }
            ]
        }
    )

    id: str
    institution_id: str
    name: str
    product_type: ProductType
    description: str | None
    min_amount_fen: int
    max_amount_fen: int
    min_rate_ratio: Decimal
    max_rate_ratio: Decimal
    min_term_months: int
    max_term_months: int
    guarantee_fee_ratio: Decimal | None
    eligible_tiers: list[Tier]
    eligible_industry_sections: list[str]
    eligible_region_codes: list[str]
    eligible_size_classes: list[SizeClass]
    status: ProductStatus
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str


class ProductPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": ProductRead.model_json_schema()["examples"], "next_cursor": None}
            ]
        }
    )

    items: list[ProductRead]
    next_cursor: str | None


class ProductFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    institution_id: RefId | None = None
    product_type: ProductType | None = None
    status: ProductStatus | None = None
    tier: Tier | None = None
    """Products open to this tier (those naming it, and those open to any)."""
    cursor: CursorParameter = None
    limit: int = Field(default=50, ge=1, le=200)
