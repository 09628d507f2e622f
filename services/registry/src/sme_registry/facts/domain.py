"""Yearly facts of an enterprise: what the certification rules read (policy-facts.md §1), validated,
and the ratios derived from them, computed here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from sme_common.money import ratio
from sme_common.rules import RuleViolation

# Fields that can never be negative (net profit can: a loss).
NON_NEGATIVE = (
    "employees",
    "operating_revenue_fen",
    "main_business_revenue_fen",
    "rd_expense_fen",
    "rd_staff",
    "total_assets_fen",
    "total_liabilities_fen",
    "ip_class1_high_value",
    "ip_class1_self_developed",
    "ip_class1",
    "ip_class2",
    "qualified_equity_raised_fen",
    "niche_market_years",
)
DIGITAL_LEVELS = range(1, 5)  # 中小企业数字化水平评测：一级 … 四级
MAX_FEN = (
    10**17
)  # far above any enterprise's figures; guards against unit mistakes (yuan × 100 × 100)


@dataclass(frozen=True)
class YearlyFacts:
    year: int
    employees: int | None = None
    operating_revenue_fen: int | None = None
    main_business_revenue_fen: int | None = None
    rd_expense_fen: int | None = None
    rd_staff: int | None = None
    total_assets_fen: int | None = None
    total_liabilities_fen: int | None = None
    net_profit_fen: int | None = None
    ip_class1_high_value: int | None = None  # Ⅰ类高价值知识产权
    ip_class1_self_developed: int | None = None  # 自主研发Ⅰ类知识产权
    ip_class1: int | None = None  # Ⅰ类知识产权
    ip_class2: int | None = None  # Ⅱ类知识产权
    qualified_equity_raised_fen: int | None = None  # 合格机构投资者股权融资
    niche_market_years: int | None = None  # 从事特定细分市场时间
    digital_level: int | None = None  # 数字化水平等级
    leading_product: str | None = None  # 主导产品
    leading_product_field: str | None = None  # 主导产品所属领域


def check_facts(facts: YearlyFacts, *, today: date, founded_on: date | None) -> None:
    """Raise ``RuleViolation`` for the first rule the facts break."""
    if facts.year > today.year:
        raise RuleViolation(
            "year_in_future",
            f"{facts.year} has not begun",
            f"{facts.year} 年尚未开始，不能填报",
            field="year",
        )
    if founded_on is not None and facts.year < founded_on.year:
        raise RuleViolation(
            "year_before_founding",
            f"the enterprise was founded in {founded_on.year}",
            f"企业成立于 {founded_on.year} 年，不能填报更早年度",
            field="year",
        )
    for name in NON_NEGATIVE:
        value = getattr(facts, name)
        if value is not None and value < 0:
            raise RuleViolation(
                "value_negative", f"{name} must not be negative", f"{name} 不能为负数", field=name
            )
    for item in fields(facts):
        value = getattr(facts, item.name)
        if item.name.endswith("_fen") and value is not None and abs(value) > MAX_FEN:
            raise RuleViolation(
                "value_implausible",
                f"{item.name} is implausibly large (amounts are in fen)",
                f"{item.name} 数值异常（金额单位为分）",
                field=item.name,
            )
    _not_above(
        facts, "main_business_revenue_fen", "operating_revenue_fen", "主营业务收入不能大于营业收入"
    )
    _not_above(facts, "rd_staff", "employees", "研发人员数不能大于从业人员数")
    _not_above(
        facts, "ip_class1_self_developed", "ip_class1", "自主研发Ⅰ类知识产权数不能大于Ⅰ类知识产权数"
    )
    _not_above(
        facts, "ip_class1_high_value", "ip_class1", "Ⅰ类高价值知识产权数不能大于Ⅰ类知识产权数"
    )
    if facts.digital_level is not None and facts.digital_level not in DIGITAL_LEVELS:
        raise RuleViolation(
            "digital_level_invalid",
            "digital level is 1 to 4",
            "数字化水平等级应为一至四级",
            field="digital_level",
        )


def _not_above(facts: YearlyFacts, part: str, whole: str, message_zh: str) -> None:
    part_value, whole_value = getattr(facts, part), getattr(facts, whole)
    if part_value is not None and whole_value is not None and part_value > whole_value:
        raise RuleViolation(
            f"{part}_exceeds_{whole}", f"{part} exceeds {whole}", message_zh, field=part
        )


@dataclass(frozen=True)
class DerivedRatios:
    """Ratios as Decimal (4 places, half up); None where the denominator is zero or unknown."""

    debt_ratio: Decimal | None  # 资产负债率
    rd_expense_ratio: Decimal | None  # 研发费用占营业收入比重
    rd_staff_ratio: Decimal | None  # 研发人员占比
    main_business_ratio: Decimal | None  # 主营业务收入占营业收入比重
    revenue_growth_ratio: Decimal | None  # 营业收入增长率 (against the previous year)
    net_profit_margin_ratio: Decimal | None  # 净利润率


def _ratio(numerator: int | None, denominator: int | None) -> Decimal | None:
    if numerator is None or denominator is None:
        return None
    return ratio(numerator, denominator)


def derive_ratios(facts: YearlyFacts, previous: YearlyFacts | None) -> DerivedRatios:
    growth = None
    if previous is not None and previous.year == facts.year - 1:
        current, before = facts.operating_revenue_fen, previous.operating_revenue_fen
        if current is not None and before:
            growth = ratio(current - before, before)
    return DerivedRatios(
        debt_ratio=_ratio(facts.total_liabilities_fen, facts.total_assets_fen),
        rd_expense_ratio=_ratio(facts.rd_expense_fen, facts.operating_revenue_fen),
        rd_staff_ratio=_ratio(facts.rd_staff, facts.employees),
        main_business_ratio=_ratio(facts.main_business_revenue_fen, facts.operating_revenue_fen),
        revenue_growth_ratio=growth,
        net_profit_margin_ratio=_ratio(facts.net_profit_fen, facts.operating_revenue_fen),
    )
