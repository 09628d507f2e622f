"""Builders for rule-engine tests: applications, yearly figures at an exact ratio, and a strong
enterprise that meets every criterion of every tier (so that one change shows one failure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from sme_certification.rules.domain import evaluate_application
from sme_certification.rules.explanation import CriterionResult, Explanation
from sme_certification.rules.facts import (
    Application,
    ApplicationKind,
    EvaluationInput,
    HeldTitle,
    Level,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
    YearFacts,
)

WAN = 1_000_000  # fen per 万元
BASE = 10_000_000_000  # 1亿元 in fen: a round base for exact ratios
FILED_2025 = date(2025, 6, 1)  # judged by 63号 (上年度 = 2024)
FILED_2026 = date(2026, 6, 1)  # judged by 2号文 for new 专精特新 / 小巨人 (上年度 = 2025)
GUIZHOU, GANSU, HUBEI = "520000", "620000", "420000"


def application(
    tier: Tier,
    filed_on: date,
    *,
    kind: ApplicationKind = ApplicationKind.NEW,
    level: Level | None = None,
    province: str | None = GANSU,
) -> Application:
    if level is None:
        level = Level.NATIONAL if tier is Tier.LITTLE_GIANT else Level.PROVINCIAL
    return Application(tier, kind, level, filed_on, province)


def at_ratio(ratio: str, base: int = BASE, nudge: int = 0) -> int:
    """The numerator that makes numerator / base exactly ``ratio`` (then nudged by whole units)."""
    value = Decimal(ratio) * base
    assert value == value.to_integral(), "pick a base that makes the ratio exact"
    return int(value) + nudge


def years(filed_on: date, *rows: dict[str, Any]) -> tuple[YearFacts, ...]:
    """Rows for 上年度, 上上年度, … of an application filed on ``filed_on``."""
    last = filed_on.year - 1
    return tuple(YearFacts(year=last - i, **row) for i, row in enumerate(rows))


def facts(filed_on: date, *rows: dict[str, Any], **other: Any) -> EvaluationInput:
    return EvaluationInput(years=years(filed_on, *rows), **other)


def criterion(
    tier: Tier,
    filed_on: date,
    criterion_id: str,
    evaluation_input: EvaluationInput,
    **app: Any,
) -> CriterionResult:
    explanation = evaluate_application(evaluation_input, application(tier, filed_on, **app))
    return explanation.criterion(criterion_id)


def strong_year(year: int, revenue_wan: int, niche_years: int) -> YearFacts:
    """A year of an enterprise comfortably inside every threshold, scaled to its revenue."""
    revenue = revenue_wan * WAN
    return YearFacts(
        year=year,
        employees=500,
        operating_revenue_fen=revenue,
        main_business_revenue_fen=revenue * 95 // 100,
        rd_expense_fen=revenue * 6 // 100,
        rd_staff=120,
        total_assets_fen=revenue,
        total_liabilities_fen=revenue * 40 // 100,
        net_profit_fen=revenue * 12 // 100,
        ip_class1_high_value=1,
        ip_class1_self_developed=5,
        ip_class1=8,
        ip_class1_own_top3=6,
        ip_class2=10,
        qualified_equity_raised_fen=0,
        niche_market_years=niche_years,
        digital_level=3,
    )


def strong_enterprise(filed_on: date, **changes: Any) -> EvaluationInput:
    """Meets every tier's criteria under both national versions and the Guizhou overlay."""
    last = filed_on.year - 1
    rows = tuple(
        strong_year(last - i, revenue, 8 - i)
        for i, revenue in enumerate((20_000, 19_000, 18_000, 17_000))
    )
    base = EvaluationInput(
        uscc="91620100MA01234567",
        years=rows,
        size_class="medium",
        held_titles=(
            HeldTitle(Tier.INNOVATIVE, Level.PROVINCIAL, date(2023, 9, 1), date(2026, 8, 31)),
            HeldTitle(Tier.SPECIALISED, Level.PROVINCIAL, date(2023, 12, 1), date(2026, 11, 30)),
        ),
        rd_institution_level=RdInstitutionLevel.NATIONAL,
        leading_product_fields=frozenset(
            {
                ProductField.SIX_FOUNDATIONS,
                ProductField.KEY_CHAIN_GAP,
                ProductField.STRATEGIC_EMERGING,
            }
        ),
        quality_items=frozenset(QualityItem),
        market_share_ratio=Decimal("0.15"),
        domestic_market_rank=2,
        quality_scores={filed_on.year: Decimal("75"), filed_on.year - 1: Decimal("70")},
        confirmations={
            "governance_sound": True,
            "core_business_information_system": True,
            "ip_in_use": True,
            "key_chain_position": True,
            "market_position": True,
            "not_champion_or_group_giant": True,
            "digital_tools": True,
            "niche_leadership": True,
        },
    )
    return replace(base, **changes)


def change_year(evaluation_input: EvaluationInput, year: int, **fields: Any) -> EvaluationInput:
    rows = tuple(replace(r, **fields) if r.year == year else r for r in evaluation_input.years)
    return replace(evaluation_input, years=rows)


def evaluate(evaluation_input: EvaluationInput, app: Application) -> Explanation:
    return evaluate_application(evaluation_input, app)
