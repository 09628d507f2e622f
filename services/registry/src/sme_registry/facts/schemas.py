"""Yearly facts as callers send and read them. Money in fen, ratios as decimal strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from sme_common.text import CLEAN_TEXT, CleanText
from sme_registry.enterprises.schemas import EXAMPLE_AT, EXAMPLE_USCC

Count = Field(default=None, ge=0, le=10_000_000)
Fen = Field(default=None, ge=0)


class FactsWrite(BaseModel):
    """PUT body. ``version`` is the version you read (or send it as ``If-Match``); omit both only to
    file a year for the first time: for a year already filed that is a 409 ``version_required``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "source": "2025 annual report",
                    "employees": 180,
                    "operating_revenue_fen": 9_600_000_000,
                    "main_business_revenue_fen": 9_100_000_000,
                    "rd_expense_fen": 480_000_000,
                    "rd_staff": 36,
                    "total_assets_fen": 12_000_000_000,
                    "total_liabilities_fen": 5_400_000_000,
                    "net_profit_fen": 720_000_000,
                    "ip_class1": 4,
                    "ip_class2": 12,
                    "digital_level": 2,
                    "quality_certifications": ["ISO 9001"],
                }
            ]
        },
    )

    version: int | None = Field(default=None, ge=1)
    source: CleanText = Field(
        default="self_declared",
        max_length=50,
        description="self_declared, tax, statistics, market_regulation, audited",
    )
    employees: int | None = Count
    operating_revenue_fen: int | None = Fen
    main_business_revenue_fen: int | None = Fen
    rd_expense_fen: int | None = Fen
    rd_staff: int | None = Count
    total_assets_fen: int | None = Fen
    total_liabilities_fen: int | None = Fen
    net_profit_fen: int | None = None
    ip_class1_high_value: int | None = Count
    ip_class1_self_developed: int | None = Count
    ip_class1: int | None = Count
    ip_class2: int | None = Count
    qualified_equity_raised_fen: int | None = Fen
    niche_market_years: int | None = Field(default=None, ge=0, le=200)
    digital_level: int | None = Field(default=None, ge=1, le=4)
    quality_certifications: list[Annotated[str, Field(max_length=200), CLEAN_TEXT]] = Field(
        default_factory=list, max_length=50
    )
    leading_product: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(default=None)
    leading_product_field: Annotated[str, Field(max_length=200), CLEAN_TEXT] | None = Field(
        default=None
    )


class Ratios(BaseModel):
    debt_ratio: Decimal | None
    rd_expense_ratio: Decimal | None
    rd_staff_ratio: Decimal | None
    main_business_ratio: Decimal | None
    revenue_growth_ratio: Decimal | None
    net_profit_margin_ratio: Decimal | None

    @field_serializer("*")
    def _as_string(self, value: Decimal | None) -> str | None:
        return None if value is None else str(value)


class FactsRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "uscc": EXAMPLE_USCC,
                    "year": 2025,
                    "source": "2025 annual report",
                    "employees": 180,
                    "operating_revenue_fen": 9_600_000_000,
                    "main_business_revenue_fen": 9_100_000_000,
                    "rd_expense_fen": 480_000_000,
                    "rd_staff": 36,
                    "total_assets_fen": 12_000_000_000,
                    "total_liabilities_fen": 5_400_000_000,
                    "net_profit_fen": 720_000_000,
                    "ip_class1_high_value": None,
                    "ip_class1_self_developed": None,
                    "ip_class1": 4,
                    "ip_class2": 12,
                    "qualified_equity_raised_fen": None,
                    "niche_market_years": None,
                    "digital_level": 2,
                    "quality_certifications": ["ISO 9001"],
                    "leading_product": None,
                    "leading_product_field": None,
                    "version": 1,
                    "filed_at": EXAMPLE_AT,
                    "filed_by": "user:officer-620100",
                    "ratios": {
                        "debt_ratio": "0.4500",
                        "rd_expense_ratio": "0.0500",
                        "rd_staff_ratio": "0.2000",
                        "main_business_ratio": "0.9479",
                        "revenue_growth_ratio": None,
                        "net_profit_margin_ratio": "0.0750",
                    },
                }
            ]
        },
    )

    uscc: str
    year: int
    source: str
    employees: int | None
    operating_revenue_fen: int | None
    main_business_revenue_fen: int | None
    rd_expense_fen: int | None
    rd_staff: int | None
    total_assets_fen: int | None
    total_liabilities_fen: int | None
    net_profit_fen: int | None
    ip_class1_high_value: int | None
    ip_class1_self_developed: int | None
    ip_class1: int | None
    ip_class2: int | None
    qualified_equity_raised_fen: int | None
    niche_market_years: int | None
    digital_level: int | None
    quality_certifications: list[str]
    leading_product: str | None
    leading_product_field: str | None
    version: int
    filed_at: datetime
    filed_by: str
    ratios: Ratios | None = None


class FactsPage(BaseModel):
    items: list[FactsRead]
