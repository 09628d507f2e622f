"""The figures the criteria compare, read from an ``EvaluationInput`` for a given year.

Values are exact rationals ``(numerator, denominator)`` with a positive denominator: money in fen
is ``(fen, 1)``, a ratio such as R&D / revenue is ``(rd_fen, revenue_fen)``. Thresholds are exact
too (``"0.03"`` is 3/100), so a comparison is integer arithmetic and a boundary is never lost to
rounding: exactly 3% is "≥ 3%", 2.9996% is not. Ratios are shown with six decimals (half up).

A value is ``None`` when a fact it needs is missing (the criterion is *unknown*), and ``UNDEFINED``
when the facts are there but the ratio has no value (a zero denominator): that fails any test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Final

from sme_certification.rules.explanation import FactRead, JsonScalar
from sme_certification.rules.facts import EvaluationInput, QualityItem, YearFacts


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()
Num = tuple[int, int]
Value = Num | _Undefined | None
Reading = tuple[Value, tuple[FactRead, ...]]

SHOWN_PLACES = Decimal("0.000001")
_SQRT_CONTEXT = Context(prec=40)


def shown(value: Value, unit: str) -> JsonScalar:
    """A value as an explanation shows it: fen and counts as integers, ratios as decimal strings."""
    if value is None or value is UNDEFINED:
        return None
    assert isinstance(value, tuple)
    num, den = value
    if unit in ("fen", "count"):
        # a mean over years may not be whole: then it is shown exactly (e.g. "1000000000.5")
        whole, rest = divmod(num, den)
        return whole if rest == 0 else str(Decimal(num) / Decimal(den))
    quotient = Decimal(num) / Decimal(den)
    if unit in ("score", "number"):
        return str(quotient)
    return str(quotient.quantize(SHOWN_PLACES, rounding=ROUND_HALF_UP))


def decimal_num(value: Decimal) -> Num:
    num, den = value.as_integer_ratio()
    return num, den


@dataclass(frozen=True, slots=True)
class Metric:
    """A figure a criterion can read.

    ``yearly`` metrics are read for a year; ``anchor`` is the offset of the *latest* year from the
    application year: −1 for the accounts (上年度), 0 for a score the national platform issues in the
    application year (本年度评价得分). ``summable`` metrics may be summed or averaged over years.
    """

    name: str
    unit: str  # fen | count | ratio | score | number (a provincial indicator's own unit)
    yearly: bool
    anchor: int
    summable: bool
    read: Callable[[EvaluationInput, int], Reading]
    name_zh: str


def _field(name: str) -> Callable[[EvaluationInput, int], Reading]:
    def read(facts: EvaluationInput, year: int) -> Reading:
        row = facts.by_year.get(year)
        value = None if row is None else getattr(row, name)
        return (None if value is None else (value, 1)), (FactRead(year, name, value),)

    return read


def _get(row: YearFacts | None, name: str) -> int | None:
    return None if row is None else getattr(row, name)


def _quotient(numerator: str, denominator: str) -> Callable[[EvaluationInput, int], Reading]:
    def read(facts: EvaluationInput, year: int) -> Reading:
        row = facts.by_year.get(year)
        top, bottom = _get(row, numerator), _get(row, denominator)
        read_facts = (FactRead(year, numerator, top), FactRead(year, denominator, bottom))
        if top is None or bottom is None:
            return None, read_facts
        if bottom <= 0:
            return UNDEFINED, read_facts
        return (top, bottom), read_facts

    return read


def _growth(field_name: str) -> Callable[[EvaluationInput, int], Reading]:
    """(x(y) − x(y−1)) / x(y−1): 63号附件1 ③ 上年度主营业务收入增长率."""

    def read(facts: EvaluationInput, year: int) -> Reading:
        now, before = (
            _get(facts.by_year.get(year), field_name),
            _get(facts.by_year.get(year - 1), field_name),
        )
        read_facts = (FactRead(year, field_name, now), FactRead(year - 1, field_name, before))
        if now is None or before is None:
            return None, read_facts
        if before <= 0:
            return UNDEFINED, read_facts
        return (now - before, before), read_facts

    return read


def _mean_growth_2y(field_name: str) -> Callable[[EvaluationInput, int], Reading]:
    """Mean of the growth rates of the last two years: (g(y) + g(y−1)) / 2 (63号附件2 近2年主营业务
    收入平均增长率; the formula is the usual reading of the standard, UNVERIFIED)."""

    def read(facts: EvaluationInput, year: int) -> Reading:
        a, b, c = (_get(facts.by_year.get(year - k), field_name) for k in range(3))
        read_facts = (
            FactRead(year, field_name, a),
            FactRead(year - 1, field_name, b),
            FactRead(year - 2, field_name, c),
        )
        if a is None or b is None or c is None:
            return None, read_facts
        if b <= 0 or c <= 0:
            return UNDEFINED, read_facts
        # ((a−b)/b + (b−c)/c) / 2 = ((a−b)·c + (b−c)·b) / (2·b·c)
        return ((a - b) * c + (b - c) * b, 2 * b * c), read_facts

    return read


def _compound_growth_2y(field_name: str) -> Callable[[EvaluationInput, int], Reading]:
    """√(x(y) / x(y−2)) − 1: 2号文 小巨人 近两年营业收入复合增长率.

    The square root is taken in Decimal with 40 significant digits and made exact from there: a
    ratio of integer fen that is not a perfect square lies further than 1e-21 from any boundary
    such as 1.05² = 1.1025, so that precision cannot move it across one.
    """

    def read(facts: EvaluationInput, year: int) -> Reading:
        now, base = (
            _get(facts.by_year.get(year), field_name),
            _get(facts.by_year.get(year - 2), field_name),
        )
        read_facts = (FactRead(year, field_name, now), FactRead(year - 2, field_name, base))
        if now is None or base is None:
            return None, read_facts
        if base <= 0:
            return UNDEFINED, read_facts
        root = _SQRT_CONTEXT.sqrt(_SQRT_CONTEXT.divide(Decimal(now), Decimal(base)))
        return decimal_num(root - 1), read_facts

    return read


def _quality_score(facts: EvaluationInput, year: int) -> Reading:
    score = facts.quality_scores.get(year)
    return (None if score is None else decimal_num(score)), (
        FactRead(year, "quality_score", None if score is None else str(score)),
    )


def _market_share(facts: EvaluationInput, _year: int) -> Reading:
    share = facts.market_share_ratio
    return (None if share is None else decimal_num(share)), (
        FactRead(None, "market_share_ratio", None if share is None else str(share)),
    )


def _market_rank(facts: EvaluationInput, _year: int) -> Reading:
    rank = facts.domestic_market_rank
    return (None if rank is None else (rank, 1)), (FactRead(None, "domestic_market_rank", rank),)


QUALITY_MANAGEMENT_ITEMS = frozenset(
    {
        QualityItem.PROVINCIAL_QUALITY_AWARD,
        QualityItem.MANAGEMENT_SYSTEM_CERTIFICATE,
        QualityItem.OWN_BRAND,
        QualityItem.STANDARDS_DRAFTING,
    }
)


def _quality_management_item_count(facts: EvaluationInput, _year: int) -> Reading:
    """The 63号附件2 质量管理水平 items held (an international certification is not one of them)."""
    items = facts.quality_items
    if items is None:
        return None, (FactRead(None, "quality_items", None),)
    counted = sorted(i.value for i in items & QUALITY_MANAGEMENT_ITEMS)
    return (len(counted), 1), (FactRead(None, "quality_items", ",".join(counted)),)


def local_indicator(indicator_id: str) -> Metric:
    """A provincial 特色化 indicator's value, as the province configured it (``local:<id>``)."""

    def read(facts: EvaluationInput, _year: int) -> Reading:
        value = facts.local_indicators.get(indicator_id)
        return (None if value is None else decimal_num(value)), (
            FactRead(None, f"local:{indicator_id}", None if value is None else str(value)),
        )

    return Metric(f"local:{indicator_id}", "number", False, 0, False, read, indicator_id)


def _yearly(name: str, unit: str, name_zh: str, *, summable: bool = True) -> Metric:
    return Metric(name, unit, True, -1, summable, _field(name), name_zh)


def _derived(
    name: str, read: Callable[[EvaluationInput, int], Reading], name_zh: str, anchor: int = -1
) -> Metric:
    return Metric(name, "ratio", True, anchor, False, read, name_zh)


METRICS: Final[dict[str, Metric]] = {
    m.name: m
    for m in (
        _yearly("employees", "count", "从业人员", summable=False),
        _yearly("operating_revenue_fen", "fen", "营业收入"),
        _yearly("main_business_revenue_fen", "fen", "主营业务收入"),
        _yearly("rd_expense_fen", "fen", "研发费用"),
        _yearly("rd_staff", "count", "研发人员", summable=False),
        _yearly("total_assets_fen", "fen", "资产总额", summable=False),
        _yearly("total_liabilities_fen", "fen", "负债总额", summable=False),
        _yearly("net_profit_fen", "fen", "净利润"),
        _yearly("ip_class1_high_value", "count", "Ⅰ类高价值知识产权", summable=False),
        _yearly("ip_class1_self_developed", "count", "自主研发Ⅰ类知识产权", summable=False),
        _yearly("ip_class1", "count", "Ⅰ类知识产权", summable=False),
        _yearly("ip_class1_own_top3", "count", "Ⅰ类知识产权（非转入、前三权利人）", summable=False),
        _yearly("ip_class2", "count", "Ⅱ类知识产权", summable=False),
        _yearly("qualified_equity_raised_fen", "fen", "合格机构投资者实缴股权融资"),
        _yearly("niche_market_years", "count", "从事特定细分市场年限", summable=False),
        _yearly("digital_level", "count", "数字化水平等级", summable=False),
        _derived(
            "rd_expense_ratio",
            _quotient("rd_expense_fen", "operating_revenue_fen"),
            "研发费用占营业收入比重",
        ),
        _derived(
            "main_business_ratio",
            _quotient("main_business_revenue_fen", "operating_revenue_fen"),
            "主营业务收入占营业收入比重",
        ),
        _derived(
            "debt_ratio", _quotient("total_liabilities_fen", "total_assets_fen"), "资产负债率"
        ),
        _derived("rd_staff_ratio", _quotient("rd_staff", "employees"), "研发人员占比"),
        _derived(
            "net_profit_margin_ratio",
            _quotient("net_profit_fen", "operating_revenue_fen"),
            "净利润率",
        ),
        _derived(
            "main_business_growth_ratio",
            _growth("main_business_revenue_fen"),
            "主营业务收入增长率",
        ),
        _derived(
            "main_business_mean_growth_2y_ratio",
            _mean_growth_2y("main_business_revenue_fen"),
            "近2年主营业务收入平均增长率",
        ),
        _derived(
            "revenue_compound_growth_2y_ratio",
            _compound_growth_2y("operating_revenue_fen"),
            "近两年营业收入复合增长率",
        ),
        Metric(
            "quality_score", "score", True, 0, False, _quality_score, "专精特新发展（质量）评价得分"
        ),
        Metric("market_share_ratio", "ratio", False, 0, False, _market_share, "细分市场占有率"),
        Metric("domestic_market_rank", "count", False, 0, False, _market_rank, "国内细分市场排名"),
        Metric(
            "quality_management_item_count",
            "count",
            False,
            0,
            False,
            _quality_management_item_count,
            "质量管理水平项目数",
        ),
    )
}


# Figures computed from others: an explanation shows them, but what is missing is their inputs.
DERIVED_METRICS: Final = frozenset(
    name for name, m in METRICS.items() if m.unit == "ratio" and m.yearly
)


def metric_named(name: str) -> Metric | None:
    if name.startswith("local:"):
        return local_indicator(name.removeprefix("local:"))
    return METRICS.get(name)
