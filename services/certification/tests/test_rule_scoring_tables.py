"""Every row of the scoring tables at its boundaries: 63号附件1 (创新型, used by both national
versions: 2号文第三十条) and 63号附件2 (专精特新).

The tables below are copied by hand from policy-facts.md §1.2 and §1.3, so a wrong number in the
data files fails here. Each band is tested exactly at its threshold (a boundary value scores the
higher band: "以上/以下" include it) and one fen, one person or one unit on the other side.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from services.certification.tests.rules_support import (
    BASE,
    FILED_2025,
    FILED_2026,
    WAN,
    at_ratio,
    criterion,
    facts,
)
from sme_certification.rules.facts import (
    ApplicationKind,
    EvaluationInput,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
)
from sme_certification.rules.ruleset import load_catalog

INN, S = Tier.INNOVATIVE, Tier.SPECIALISED

# indicator id → (metric, op, [(threshold, points) from the best band down], points below all)
RATIO_TABLES: dict[str, tuple[str, str, list[tuple[str, int]], int]] = {
    # 63号附件1 (创新型)
    "innovative_rd_ratio": (
        "rd_expense_ratio",
        "gte",
        [("0.05", 20), ("0.03", 15), ("0.02", 10), ("0.01", 5)],
        0,
    ),
    "innovative_main_business_growth": (
        "main_business_growth_ratio",
        "gte",
        [("0.15", 20), ("0.10", 15), ("0.05", 10), ("0", 5)],
        0,
    ),
    "innovative_debt_ratio": ("debt_ratio", "lte", [("0.55", 10), ("0.75", 5)], 0),
    "innovative_main_business_ratio": (
        "main_business_ratio",
        "gte",
        [("0.70", 20), ("0.60", 15), ("0.55", 10), ("0.50", 5)],
        0,
    ),
    # 63号附件2 (专精特新)
    "specialised_main_business_ratio": (
        "main_business_ratio",
        "gte",
        [("0.80", 5), ("0.70", 3), ("0.60", 1)],
        0,
    ),
    "specialised_main_business_growth": (
        "main_business_mean_growth_2y_ratio",
        "gte",
        [("0.10", 10), ("0.08", 8), ("0.06", 6), ("0.04", 4), ("0", 2)],
        0,
    ),
    "specialised_net_profit_margin": (
        "net_profit_margin_ratio",
        "gte",
        [("0.10", 10), ("0.08", 8), ("0.06", 6), ("0.04", 4), ("0.02", 2)],
        0,
    ),
    "specialised_debt_ratio": ("debt_ratio", "lte", [("0.50", 5), ("0.60", 3), ("0.70", 1)], 0),
    "specialised_rd_staff_ratio": (
        "rd_staff_ratio",
        "gte",
        [("0.20", 5), ("0.10", 3), ("0.05", 1)],
        0,
    ),
}


def rows_at(metric: str, ratio: str, nudge: int, filed_on: date) -> EvaluationInput:
    """Figures whose ``metric`` for 上年度 is exactly ``ratio``, nudged by ``nudge`` fen/persons."""
    if metric == "rd_expense_ratio":
        row = {"operating_revenue_fen": BASE, "rd_expense_fen": at_ratio(ratio, nudge=nudge)}
        return facts(filed_on, row)
    if metric == "main_business_ratio":
        row = {
            "operating_revenue_fen": BASE,
            "main_business_revenue_fen": at_ratio(ratio, nudge=nudge),
        }
        return facts(filed_on, row)
    if metric == "net_profit_margin_ratio":
        row = {"operating_revenue_fen": BASE, "net_profit_fen": at_ratio(ratio, nudge=nudge)}
        return facts(filed_on, row)
    if metric == "debt_ratio":
        row = {"total_assets_fen": BASE, "total_liabilities_fen": at_ratio(ratio, nudge=nudge)}
        return facts(filed_on, row)
    if metric == "rd_staff_ratio":
        return facts(
            filed_on, {"employees": 10_000, "rd_staff": at_ratio(ratio, 10_000, nudge=nudge)}
        )
    if metric == "main_business_growth_ratio":
        grown = BASE + at_ratio(ratio, nudge=nudge)
        return facts(
            filed_on, {"main_business_revenue_fen": grown}, {"main_business_revenue_fen": BASE}
        )
    if metric == "main_business_mean_growth_2y_ratio":
        # flat the year before (growth 0), so last year's growth is twice the mean
        grown = BASE + 2 * at_ratio(ratio) + nudge
        return facts(
            filed_on,
            {"main_business_revenue_fen": grown},
            {"main_business_revenue_fen": BASE},
            {"main_business_revenue_fen": BASE},
        )
    raise AssertionError(metric)


def ratio_cases() -> list[Any]:
    out = []
    for indicator_id, (metric, op, bands, floor) in RATIO_TABLES.items():
        tier = INN if indicator_id.startswith("innovative") else S
        dates = (FILED_2025, FILED_2026) if tier is INN else (FILED_2025,)
        beyond = -1 if op == "gte" else 1  # one unit on the losing side of the boundary
        for filed_on in dates:
            for index, (threshold, points) in enumerate(bands):
                below = bands[index + 1][1] if index + 1 < len(bands) else floor
                out.append(
                    pytest.param(
                        tier,
                        filed_on,
                        indicator_id,
                        metric,
                        threshold,
                        0,
                        points,
                        id=f"{indicator_id}-{filed_on.year}-at-{threshold}",
                    )
                )
                out.append(
                    pytest.param(
                        tier,
                        filed_on,
                        indicator_id,
                        metric,
                        threshold,
                        beyond,
                        below,
                        id=f"{indicator_id}-{filed_on.year}-beyond-{threshold}",
                    )
                )
    return out


@pytest.mark.parametrize(
    ("tier", "filed_on", "indicator_id", "metric", "threshold", "nudge", "points"), ratio_cases()
)
def test_a_ratio_row_scores_its_band_at_and_beyond_each_boundary(
    tier: Tier,
    filed_on: date,
    indicator_id: str,
    metric: str,
    threshold: str,
    nudge: int,
    points: int,
) -> None:
    scored = criterion(tier, filed_on, indicator_id, rows_at(metric, threshold, nudge, filed_on))
    assert (scored.points, scored.points_up_to) == (points, points), scored
    assert scored.checks[0].facts[0].name == metric


IP_ROWS = [
    # (Ⅰ类高价值, 自主研发Ⅰ类, Ⅰ类, Ⅱ类) → (创新型 points, 专精特新 points)
    ((1, 1, 1, 0), (20, 10)),
    ((0, 1, 1, 0), (15, 8)),
    ((0, 0, 1, 0), (10, 6)),
    ((0, 0, 0, 1), (5, 2)),
    ((0, 0, 0, 0), (0, 0)),
]


@pytest.mark.parametrize(("counts", "points"), IP_ROWS)
@pytest.mark.parametrize("filed_on", [FILED_2025, FILED_2026])
def test_the_ip_rows_score_the_best_class_held(
    counts: tuple[int, int, int, int], points: tuple[int, int], filed_on: date
) -> None:
    high, own, class1, class2 = counts
    row = {
        "ip_class1_high_value": high,
        "ip_class1_self_developed": own,
        "ip_class1": class1,
        "ip_class2": class2,
    }
    assert criterion(INN, filed_on, "innovative_ip", facts(filed_on, row)).points == points[0]
    if filed_on == FILED_2025:
        assert criterion(S, filed_on, "specialised_ip", facts(filed_on, row)).points == points[1]


def test_an_unknown_ip_class_leaves_the_ip_row_between_bounds() -> None:
    row = {"ip_class1_high_value": None, "ip_class1_self_developed": 0, "ip_class1": 2}
    scored = criterion(INN, FILED_2025, "innovative_ip", facts(FILED_2025, row))
    assert (scored.points, scored.points_up_to, scored.result) == (10, 20, None)


@pytest.mark.parametrize(
    ("fields", "points"),
    [
        ({ProductField.STRATEGIC_EMERGING}, 10),
        ({ProductField.SIX_FOUNDATIONS}, 5),
        (set(), 5),
    ],
)
@pytest.mark.parametrize("filed_on", [FILED_2025, FILED_2026])
def test_the_innovative_product_field_row(
    fields: set[ProductField], points: int, filed_on: date
) -> None:
    evaluated = facts(filed_on, leading_product_fields=frozenset(fields))
    assert criterion(INN, filed_on, "innovative_product_field", evaluated).points == points


def test_an_undeclared_product_field_scores_between_5_and_10() -> None:
    scored = criterion(INN, FILED_2025, "innovative_product_field", facts(FILED_2025))
    assert (scored.points, scored.points_up_to) == (5, 10)


@pytest.mark.parametrize(
    ("fields", "points"),
    [
        ({ProductField.KEY_CHAIN_GAP}, 5),
        ({ProductField.SIX_FOUNDATIONS}, 3),
        ({ProductField.TIME_HONOURED_BRAND}, 3),
        ({ProductField.KEY_CHAIN_SUPPLIER}, 3),
        ({ProductField.STRATEGIC_EMERGING}, 0),
        (set(), 0),
    ],
)
def test_the_specialised_product_field_row(fields: set[ProductField], points: int) -> None:
    evaluated = facts(FILED_2025, leading_product_fields=frozenset(fields))
    assert criterion(S, FILED_2025, "specialised_product_field", evaluated).points == points


@pytest.mark.parametrize("years", range(14))
def test_niche_market_years_give_a_point_per_full_two_years_up_to_five(years: int) -> None:
    evaluated = facts(FILED_2025, {"niche_market_years": years})
    scored = criterion(S, FILED_2025, "specialised_niche_years_points", evaluated)
    assert scored.points == min(years // 2, 5)


@pytest.mark.parametrize(("level", "points"), [(1, 0), (2, 3), (3, 5), (4, 5)])
def test_the_digital_level_row(level: int, points: int) -> None:
    evaluated = facts(FILED_2025, {"digital_level": level})
    assert criterion(S, FILED_2025, "specialised_digital_level", evaluated).points == points


@pytest.mark.parametrize(
    ("items", "points"),
    [
        (set(), 0),
        ({QualityItem.OWN_BRAND}, 3),
        ({QualityItem.OWN_BRAND, QualityItem.STANDARDS_DRAFTING}, 5),
        (
            {
                QualityItem.PROVINCIAL_QUALITY_AWARD,
                QualityItem.MANAGEMENT_SYSTEM_CERTIFICATE,
                QualityItem.OWN_BRAND,
                QualityItem.STANDARDS_DRAFTING,
            },
            5,
        ),
        ({QualityItem.INTERNATIONAL_CERTIFICATION}, 0),
    ],
)
def test_quality_management_gives_3_per_item_capped_at_5(
    items: set[QualityItem], points: int
) -> None:
    evaluated = facts(FILED_2025, quality_items=frozenset(items))
    assert criterion(S, FILED_2025, "specialised_quality_management", evaluated).points == points


TEN_YI = 100_000 * WAN  # revenue large enough that every amount below is under 3% of it
FIFTY_WAN = 50 * WAN  # revenue small enough that every ratio below is under 100万


@pytest.mark.parametrize(
    ("revenue", "rd", "points"),
    [
        # amount axis (ratio stays under 3%)
        (TEN_YI, 500 * WAN, 10),
        (TEN_YI, 500 * WAN - 1, 8),
        (TEN_YI, 400 * WAN, 8),
        (TEN_YI, 400 * WAN - 1, 6),
        (TEN_YI, 300 * WAN, 6),
        (TEN_YI, 300 * WAN - 1, 4),
        (TEN_YI, 200 * WAN, 4),
        (TEN_YI, 200 * WAN - 1, 2),
        (TEN_YI, 100 * WAN, 2),
        (TEN_YI, 100 * WAN - 1, 0),
        # ratio axis (amount stays under 100万)
        (FIFTY_WAN, at_ratio("0.10", FIFTY_WAN), 10),
        (FIFTY_WAN, at_ratio("0.10", FIFTY_WAN, -1), 8),
        (FIFTY_WAN, at_ratio("0.08", FIFTY_WAN), 8),
        (FIFTY_WAN, at_ratio("0.08", FIFTY_WAN, -1), 6),
        (FIFTY_WAN, at_ratio("0.06", FIFTY_WAN), 6),
        (FIFTY_WAN, at_ratio("0.06", FIFTY_WAN, -1), 4),
        (FIFTY_WAN, at_ratio("0.04", FIFTY_WAN), 4),
        (FIFTY_WAN, at_ratio("0.04", FIFTY_WAN, -1), 2),
        (FIFTY_WAN, at_ratio("0.03", FIFTY_WAN), 2),
        (FIFTY_WAN, at_ratio("0.03", FIFTY_WAN, -1), 0),
    ],
)
def test_the_rd_expense_row_takes_the_better_of_amount_and_ratio(
    revenue: int, rd: int, points: int
) -> None:
    evaluated = facts(FILED_2025, {"operating_revenue_fen": revenue, "rd_expense_fen": rd})
    assert criterion(S, FILED_2025, "specialised_rd_expense", evaluated).points == points


@pytest.mark.parametrize(
    ("level", "points"),
    [
        (RdInstitutionLevel.NATIONAL, 10),
        (RdInstitutionLevel.PROVINCIAL, 8),
        (RdInstitutionLevel.MUNICIPAL, 4),
        (RdInstitutionLevel.BELOW_MUNICIPAL, 2),
        (RdInstitutionLevel.NONE, 0),
    ],
)
def test_the_rd_institution_row(level: RdInstitutionLevel, points: int) -> None:
    evaluated = facts(FILED_2025, rd_institution_level=level)
    assert criterion(S, FILED_2025, "specialised_rd_institution", evaluated).points == points


TESTED_HERE = set(RATIO_TABLES) | {
    "innovative_ip",
    "specialised_ip",
    "innovative_product_field",
    "specialised_product_field",
    "specialised_niche_years_points",
    "specialised_digital_level",
    "specialised_quality_management",
    "specialised_rd_expense",
    "specialised_rd_institution",
}


def test_every_row_of_every_national_scoring_table_is_tested_here() -> None:
    catalog = load_catalog()
    in_data = set()
    for rule_set_id in catalog.national:
        for tier in (INN, S, Tier.LITTLE_GIANT):
            for kind in ApplicationKind:
                rules = catalog.tier_rules(rule_set_id, tier, kind, ())
                if rules.score is not None:
                    in_data |= {i.id for d in rules.score.dimensions for i in d.indicators}
    assert in_data == TESTED_HERE


@pytest.mark.parametrize(
    ("tier", "dimensions"),
    [
        (INN, {"innovation": (40, 20), "growth": (30, 15), "specialisation": (30, 15)}),
        (
            S,
            {
                "specialisation": (25, None),
                "refinement": (25, None),
                "local_specialty": (15, None),
                "innovation": (35, None),
            },
        ),
    ],
)
def test_the_tables_have_the_policy_dimensions_pass_mark_and_minimums(
    tier: Tier, dimensions: dict[str, tuple[int, int | None]]
) -> None:
    score = load_catalog().tier_rules("national-2022-63", tier, ApplicationKind.NEW, ()).score
    assert score is not None
    assert (score.pass_points, score.max_points) == (60, 100)
    assert {d.id: (d.max_points, d.min_points) for d in score.dimensions} == dimensions
