"""Conditions, direct routes and the Guizhou overlay at their boundaries, for both national
versions (63号 附件2/附件3 and the 2026 measures, policy-facts §1.3–§1.5; seed 003 四).

Each row builds only the figures the criterion reads, exactly at the threshold and one fen, one
unit or one day on the other side, and checks the criterion's result.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.certification.tests.rules_support import (
    BASE,
    FILED_2025,
    FILED_2026,
    GANSU,
    GUIZHOU,
    WAN,
    at_ratio,
    criterion,
    facts,
)
from sme_certification.rules.explanation import tri
from sme_certification.rules.facts import (
    ApplicationKind,
    Award,
    AwardKind,
    AwardLevel,
    EvaluationInput,
    ProductField,
    QualityItem,
    RdInstitutionLevel,
    Tier,
)

S, G = Tier.SPECIALISED, Tier.LITTLE_GIANT
RE = ApplicationKind.RE_REVIEW
ST, CK = AwardKind.SCIENCE_TECHNOLOGY, AwardKind.CHUANGKE_CHINA
NAT, PROV = AwardLevel.NATIONAL, AwardLevel.PROVINCIAL


def row(**fields: Any) -> dict[str, Any]:
    return fields


def award(kind: AwardKind, level: AwardLevel, on: date, rank: int | None) -> EvaluationInput:
    return facts(FILED_2025, awards=(Award(kind, level, on, rank),))


def fields(*names: ProductField) -> frozenset[ProductField]:
    return frozenset(names)


def confirmed(**items: bool) -> dict[str, bool]:
    return items


def case(
    tier: Tier,
    filed_on: date,
    criterion_id: str,
    evaluation_input: EvaluationInput,
    expected: str,
    label: str,
    **app: Any,
) -> Any:
    return pytest.param(
        tier, filed_on, criterion_id, evaluation_input, expected, app, id=f"{criterion_id}-{label}"
    )


F25, F26 = FILED_2025, FILED_2026
IN_USE = {"ip_in_use": True}
# An enterprise with every 小巨人(63号) general innovation item except the R&D bands.
LG22_BASE = {"ip_class1": 2}
LG22_OTHER = {"rd_institution_level": RdInstitutionLevel.BELOW_MUNICIPAL, "confirmations": IN_USE}


def lg22_innovation(*rows: dict[str, Any], **other: Any) -> EvaluationInput:
    merged = [{**LG22_BASE, **r} for r in rows]
    return facts(F25, *merged, **{**LG22_OTHER, **other})


YI = 10_000 * WAN  # 1亿元

CASES_2022 = [
    # 63号附件2 专精特新 认定条件
    case(S, F25, "specialised_niche_years", facts(F25, row(niche_market_years=2)), "pass", "2y"),
    case(S, F25, "specialised_niche_years", facts(F25, row(niche_market_years=1)), "fail", "1y"),
    case(
        S,
        F25,
        "specialised_rd_input",
        facts(F25, row(operating_revenue_fen=BASE, rd_expense_fen=at_ratio("0.03"))),
        "pass",
        "ratio-at-3pct",
    ),
    case(
        S,
        F25,
        "specialised_rd_input",
        facts(F25, row(operating_revenue_fen=BASE, rd_expense_fen=at_ratio("0.03", nudge=-1))),
        "fail",
        "ratio-below-3pct",
    ),
    case(
        S,
        F25,
        "specialised_rd_input",
        facts(F25, row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN)),
        "pass",
        "amount-at-100wan",
    ),
    case(
        S,
        F25,
        "specialised_rd_input",
        facts(F25, row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN - 1)),
        "fail",
        "amount-below-100wan",
    ),
    case(
        S,
        F25,
        "specialised_revenue",
        facts(F25, row(operating_revenue_fen=1000 * WAN)),
        "pass",
        "revenue-at-1000wan",
    ),
    case(
        S,
        F25,
        "specialised_revenue",
        facts(
            F25,
            row(operating_revenue_fen=1000 * WAN - 1, qualified_equity_raised_fen=0),
            row(qualified_equity_raised_fen=0),
        ),
        "fail",
        "revenue-below-no-equity",
    ),
    case(
        S,
        F25,
        "specialised_revenue",
        facts(
            F25,
            row(operating_revenue_fen=1000 * WAN - 1, qualified_equity_raised_fen=1500 * WAN),
            row(qualified_equity_raised_fen=500 * WAN),
        ),
        "pass",
        "equity-2y-at-2000wan",
    ),
    case(
        S,
        F25,
        "specialised_revenue",
        facts(
            F25,
            row(operating_revenue_fen=1000 * WAN - 1, qualified_equity_raised_fen=1500 * WAN),
            row(qualified_equity_raised_fen=500 * WAN - 1),
        ),
        "fail",
        "equity-2y-below",
    ),
    case(
        S,
        F25,
        "specialised_revenue",
        facts(
            F25,
            row(operating_revenue_fen=1000 * WAN - 1, qualified_equity_raised_fen=0),
            row(qualified_equity_raised_fen=0),
            row(qualified_equity_raised_fen=5000 * WAN),
        ),
        "fail",
        "equity-three-years-ago-is-outside",
    ),
    # 63号附件2 直通条件 (UNVERIFIED figures)
    case(S, F25, "specialised_route_award", award(ST, PROV, date(2023, 1, 1), 3), "pass", "prov-3"),
    case(S, F25, "specialised_route_award", award(ST, PROV, date(2023, 1, 1), 4), "fail", "prov-4"),
    case(S, F25, "specialised_route_award", award(ST, NAT, date(2023, 1, 1), 5), "pass", "nat-5"),
    case(S, F25, "specialised_route_award", award(ST, NAT, date(2023, 1, 1), 6), "fail", "nat-6"),
    case(
        S,
        F25,
        "specialised_route_award",
        award(ST, PROV, date(2022, 6, 1), 1),
        "pass",
        "3y-to-the-day",
    ),
    case(
        S,
        F25,
        "specialised_route_award",
        award(ST, PROV, date(2022, 5, 31), 1),
        "fail",
        "3y-and-a-day",
    ),
    case(
        S,
        F25,
        "specialised_route_award",
        award(ST, PROV, date(2025, 6, 2), 1),
        "fail",
        "after-filing",
    ),
    case(
        S,
        F25,
        "specialised_route_award",
        award(ST, PROV, date(2024, 1, 1), None),
        "unknown",
        "no-rank",
    ),
    case(
        S,
        F25,
        "specialised_route_rd_mean",
        facts(F25, row(rd_expense_fen=1200 * WAN), row(rd_expense_fen=800 * WAN)),
        "pass",
        "mean-at-1000wan",
    ),
    case(
        S,
        F25,
        "specialised_route_rd_mean",
        facts(F25, row(rd_expense_fen=1200 * WAN), row(rd_expense_fen=800 * WAN - 1)),
        "fail",
        "mean-below",
    ),
    case(
        S,
        F25,
        "specialised_route_equity",
        facts(F25, row(qualified_equity_raised_fen=6000 * WAN), row(qualified_equity_raised_fen=0)),
        "pass",
        "6000wan",
    ),
    case(
        S,
        F25,
        "specialised_route_equity",
        facts(
            F25, row(qualified_equity_raised_fen=6000 * WAN - 1), row(qualified_equity_raised_fen=0)
        ),
        "fail",
        "below",
    ),
    case(
        S, F25, "specialised_route_chuangke", award(CK, NAT, date(2024, 9, 1), 500), "pass", "500"
    ),
    case(
        S, F25, "specialised_route_chuangke", award(CK, NAT, date(2024, 9, 1), 501), "fail", "501"
    ),
    # 63号附件3 小巨人
    case(G, F25, "little_giant_niche_years", facts(F25, row(niche_market_years=3)), "pass", "3y"),
    case(
        G,
        F25,
        "little_giant_niche_years",
        facts(F25, row(niche_market_years=2), leading_product_fields=frozenset()),
        "fail",
        "2y",
    ),
    case(
        G,
        F25,
        "little_giant_niche_years",
        facts(F25, row(niche_market_years=2)),
        "unknown",
        "2y-field-undeclared",
    ),
    case(
        G,
        F25,
        "little_giant_niche_years",
        facts(
            F25,
            row(niche_market_years=2),
            leading_product_fields=fields(ProductField.KEY_CHAIN_GAP),
        ),
        "pass",
        "2y-gap-filler",
    ),
    case(
        G,
        F25,
        "little_giant_niche_years",
        facts(
            F25,
            row(niche_market_years=1),
            leading_product_fields=fields(ProductField.KEY_CHAIN_GAP),
        ),
        "fail",
        "1y-gap-filler",
    ),
    case(
        G,
        F25,
        "little_giant_main_business_ratio",
        facts(F25, row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.70"))),
        "pass",
        "70pct",
    ),
    case(
        G,
        F25,
        "little_giant_main_business_ratio",
        facts(
            F25,
            row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.70", nudge=-1)),
        ),
        "fail",
        "below-70pct",
    ),
    case(
        G,
        F25,
        "little_giant_main_business_growth",
        facts(
            F25,
            row(main_business_revenue_fen=BASE + 2 * at_ratio("0.05")),
            row(main_business_revenue_fen=BASE),
            row(main_business_revenue_fen=BASE),
        ),
        "pass",
        "mean-5pct",
    ),
    case(
        G,
        F25,
        "little_giant_main_business_growth",
        facts(
            F25,
            row(main_business_revenue_fen=BASE + 2 * at_ratio("0.05") - 1),
            row(main_business_revenue_fen=BASE),
            row(main_business_revenue_fen=BASE),
        ),
        "fail",
        "mean-below-5pct",
    ),
    case(
        G,
        F25,
        "little_giant_main_business_growth",
        facts(F25, row(main_business_revenue_fen=BASE), row(main_business_revenue_fen=BASE)),
        "unknown",
        "third-year-missing",
    ),
    case(
        G,
        F25,
        "little_giant_refinement",
        facts(
            F25,
            quality_items=frozenset({QualityItem.INTERNATIONAL_CERTIFICATION}),
            confirmations=confirmed(governance_sound=True, core_business_information_system=True),
        ),
        "pass",
        "all",
    ),
    case(
        G,
        F25,
        "little_giant_refinement",
        facts(
            F25,
            quality_items=frozenset({QualityItem.MANAGEMENT_SYSTEM_CERTIFICATE}),
            confirmations=confirmed(governance_sound=True, core_business_information_system=True),
        ),
        "fail",
        "no-international-certification",
    ),
    case(
        G,
        F25,
        "little_giant_refinement",
        facts(
            F25,
            quality_items=frozenset({QualityItem.INTERNATIONAL_CERTIFICATION}),
            confirmations=confirmed(governance_sound=True),
        ),
        "unknown",
        "information-system-unconfirmed",
    ),
    case(
        G,
        F25,
        "little_giant_debt_ratio",
        facts(F25, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.70"))),
        "pass",
        "70pct",
    ),
    case(
        G,
        F25,
        "little_giant_debt_ratio",
        facts(F25, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.70", nudge=1))),
        "fail",
        "above-70pct",
    ),
    case(
        G,
        F25,
        "little_giant_debt_ratio",
        facts(F25, row(total_assets_fen=0, total_liabilities_fen=0)),
        "fail",
        "no-assets-no-ratio",
    ),
    case(
        G,
        F25,
        "little_giant_market_share",
        facts(F25, market_share_ratio=Decimal("0.10")),
        "pass",
        "10pct",
    ),
    case(
        G,
        F25,
        "little_giant_market_share",
        facts(F25, market_share_ratio=Decimal("0.0999"), domestic_market_rank=1),
        "fail",
        "below-10pct-rank-does-not-count-under-63",
    ),
    case(
        G,
        F25,
        "little_giant_own_brand",
        facts(F25, quality_items=frozenset({QualityItem.OWN_BRAND})),
        "pass",
        "brand",
    ),
    case(G, F25, "little_giant_own_brand", facts(F25, quality_items=frozenset()), "fail", "none"),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
        ),
        "pass",
        "1yi-3pct-both-years",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI, -1)),
        ),
        "fail",
        "1yi-one-year-below-3pct",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=YI - 1, rd_expense_fen=at_ratio("0.03", YI)),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
        ),
        "fail",
        "below-1yi-needs-6pct",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=5000 * WAN, rd_expense_fen=300 * WAN),
            row(operating_revenue_fen=5000 * WAN, rd_expense_fen=300 * WAN),
        ),
        "pass",
        "5000wan-6pct",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=5000 * WAN, rd_expense_fen=300 * WAN),
            row(operating_revenue_fen=5000 * WAN, rd_expense_fen=300 * WAN - 1),
        ),
        "fail",
        "5000wan-below-6pct",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(
                operating_revenue_fen=5000 * WAN - 1,
                qualified_equity_raised_fen=8000 * WAN,
                rd_expense_fen=3000 * WAN,
                employees=100,
                rd_staff=50,
            ),
            row(qualified_equity_raised_fen=0, rd_expense_fen=0),
        ),
        "pass",
        "small-equity-rd-staff",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(
                operating_revenue_fen=5000 * WAN - 1,
                qualified_equity_raised_fen=8000 * WAN,
                rd_expense_fen=3000 * WAN,
                employees=100,
                rd_staff=49,
            ),
            row(qualified_equity_raised_fen=0, rd_expense_fen=0),
        ),
        "fail",
        "small-staff-below-50pct",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(
                operating_revenue_fen=5000 * WAN - 1,
                qualified_equity_raised_fen=8000 * WAN - 1,
                rd_expense_fen=3000 * WAN,
                employees=100,
                rd_staff=50,
            ),
            row(qualified_equity_raised_fen=0, rd_expense_fen=0),
        ),
        "fail",
        "small-equity-below",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(
                operating_revenue_fen=5000 * WAN - 1,
                qualified_equity_raised_fen=8000 * WAN,
                rd_expense_fen=2000 * WAN,
                employees=100,
                rd_staff=50,
            ),
            row(qualified_equity_raised_fen=0, rd_expense_fen=1000 * WAN - 1),
        ),
        "fail",
        "small-rd-sum-below",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        facts(
            F25,
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI), ip_class1=1),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
            **LG22_OTHER,
        ),
        "fail",
        "one-class1-ip",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        facts(
            F25,
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI), ip_class1=2),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI)),
            rd_institution_level=RdInstitutionLevel.NONE,
            confirmations=IN_USE,
        ),
        "fail",
        "no-rd-institution",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        facts(F25, awards=(Award(ST, NAT, date(2023, 1, 1), 3),)),
        "pass",
        "route-national-award-top3",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        facts(F25, awards=(Award(CK, NAT, date(2023, 1, 1), 50),)),
        "pass",
        "route-chuangke-top50",
    ),
    case(
        G,
        F25,
        "little_giant_innovation",
        lg22_innovation(
            row(operating_revenue_fen=YI, rd_expense_fen=0),
            row(operating_revenue_fen=YI, rd_expense_fen=0),
            awards=(Award(CK, NAT, date(2023, 1, 1), 51),),
        ),
        "fail",
        "route-chuangke-51",
    ),
    case(
        G,
        F25,
        "little_giant_chain_position",
        facts(F25, confirmations=confirmed(key_chain_position=True)),
        "pass",
        "confirmed",
    ),
    case(G, F25, "little_giant_chain_position", facts(F25), "unknown", "awaiting-officer"),
    case(
        G,
        F25,
        "little_giant_product_field",
        facts(F25, leading_product_fields=fields(ProductField.CYBER_POWER_KEY)),
        "pass",
        "cyber",
    ),
    case(
        G,
        F25,
        "little_giant_product_field",
        facts(F25, leading_product_fields=fields(ProductField.MANUFACTURING_POWER_KEY)),
        "pass",
        "manufacturing-power",
    ),
    case(
        G,
        F25,
        "little_giant_product_field",
        facts(F25, leading_product_fields=fields(ProductField.STRATEGIC_EMERGING)),
        "fail",
        "strategic-emerging-is-not-enough",
    ),
]

TWO_YEARS_100WAN_5PCT = facts(
    F26,
    row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN),
    row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN),
)

CASES_2026 = [
    case(S, F26, "specialised_niche_years", facts(F26, row(niche_market_years=3)), "pass", "3y"),
    case(S, F26, "specialised_niche_years", facts(F26, row(niche_market_years=2)), "fail", "2y"),
    case(
        S,
        F26,
        "specialised_revenue",
        facts(F26, row(operating_revenue_fen=1500 * WAN)),
        "pass",
        "1500wan",
    ),
    case(
        S,
        F26,
        "specialised_revenue",
        facts(
            F26,
            row(operating_revenue_fen=1500 * WAN - 1, qualified_equity_raised_fen=0),
            row(qualified_equity_raised_fen=0),
        ),
        "fail",
        "below-1500wan",
    ),
    case(
        S,
        F26,
        "specialised_revenue",
        facts(
            F26,
            row(operating_revenue_fen=0, qualified_equity_raised_fen=1000 * WAN),
            row(qualified_equity_raised_fen=1000 * WAN),
        ),
        "pass",
        "equity-2000wan",
    ),
    case(
        S,
        F26,
        "specialised_main_business_ratio",
        facts(F26, row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.80"))),
        "pass",
        "80pct",
    ),
    case(
        S,
        F26,
        "specialised_main_business_ratio",
        facts(
            F26,
            row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.80", nudge=-1)),
        ),
        "fail",
        "below-80pct",
    ),
    case(
        S,
        F26,
        "specialised_debt_ratio",
        facts(F26, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.80"))),
        "pass",
        "80pct",
    ),
    case(
        S,
        F26,
        "specialised_debt_ratio",
        facts(F26, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.80", nudge=1))),
        "fail",
        "above-80pct",
    ),
    case(S, F26, "specialised_rd_input", TWO_YEARS_100WAN_5PCT, "pass", "100wan-each-year"),
    case(
        S,
        F26,
        "specialised_rd_input",
        facts(
            F26,
            row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN),
            row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN - 1),
        ),
        "fail",
        "year-before-below-100wan",
    ),
    case(
        S,
        F26,
        "specialised_rd_input",
        facts(
            F26,
            row(operating_revenue_fen=BASE, rd_expense_fen=at_ratio("0.03")),
            row(operating_revenue_fen=BASE, rd_expense_fen=at_ratio("0.03", nudge=-1)),
        ),
        "fail",
        "year-before-below-3pct",
    ),
    case(
        S,
        F26,
        "specialised_rd_input",
        facts(F26, row(operating_revenue_fen=2000 * WAN, rd_expense_fen=100 * WAN)),
        "unknown",
        "year-before-not-filed",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(F26, row(ip_class1=1), confirmations=IN_USE),
        "pass",
        "one-class1-in-use",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(
            F26,
            row(ip_class1=1),
            confirmations=confirmed(ip_in_use=False),
            rd_institution_level=RdInstitutionLevel.NONE,
        ),
        "fail",
        "not-in-use",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(F26, row(ip_class1=0), rd_institution_level=RdInstitutionLevel.PROVINCIAL),
        "pass",
        "exempt-provincial-rd-institution",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(F26, row(ip_class1=0), rd_institution_level=RdInstitutionLevel.MUNICIPAL),
        "fail",
        "municipal-institution-no-exemption",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(
            F26,
            row(ip_class1=0),
            rd_institution_level=RdInstitutionLevel.NONE,
            awards=(Award(ST, PROV, date(2024, 3, 1), 3),),
        ),
        "pass",
        "exempt-provincial-award-top3",
    ),
    case(
        S,
        F26,
        "specialised_ip",
        facts(
            F26,
            row(ip_class1=0),
            rd_institution_level=RdInstitutionLevel.NONE,
            awards=(Award(ST, PROV, date(2024, 3, 1), 4),),
        ),
        "fail",
        "provincial-award-4th",
    ),
    case(
        S,
        F26,
        "specialised_market_position",
        facts(F26, confirmations=confirmed(market_position=True)),
        "pass",
        "confirmed",
    ),
    case(
        S,
        F26,
        "specialised_market_position",
        facts(F26, confirmations=confirmed(market_position=False)),
        "fail",
        "refused",
    ),
    case(S, F26, "specialised_market_position", facts(F26), "unknown", "awaiting"),
    case(
        S,
        F26,
        "specialised_quality_score",
        facts(F26, quality_scores={2026: Decimal("50")}),
        "pass",
        "50",
    ),
    case(
        S,
        F26,
        "specialised_quality_score",
        facts(F26, quality_scores={2026: Decimal("49.99")}),
        "fail",
        "49.99",
    ),
    case(
        S,
        F26,
        "specialised_quality_score",
        facts(F26, quality_scores={2025: Decimal("80")}),
        "unknown",
        "new-needs-this-years-score",
    ),
    case(
        S,
        F26,
        "specialised_quality_score_re_review",
        facts(F26, quality_scores={2026: Decimal("45"), 2025: Decimal("50")}),
        "pass",
        "either-of-two-years",
        kind=RE,
    ),
    case(
        S,
        F26,
        "specialised_quality_score_re_review",
        facts(F26, quality_scores={2026: Decimal("49.99"), 2025: Decimal("49.99")}),
        "fail",
        "both-below",
        kind=RE,
    ),
    # 2026 小巨人
    case(G, F26, "little_giant_niche_years", facts(F26, row(niche_market_years=3)), "pass", "3y"),
    case(
        G,
        F26,
        "little_giant_niche_years",
        facts(
            F26,
            row(niche_market_years=2),
            leading_product_fields=fields(ProductField.KEY_CHAIN_GAP),
        ),
        "fail",
        "2y-exception-gone",
    ),
    case(
        G,
        F26,
        "little_giant_revenue",
        facts(F26, row(operating_revenue_fen=5000 * WAN)),
        "pass",
        "5000wan",
    ),
    case(
        G,
        F26,
        "little_giant_revenue",
        facts(F26, row(operating_revenue_fen=5000 * WAN - 1)),
        "fail",
        "below",
    ),
    case(
        G,
        F26,
        "little_giant_main_business_ratio",
        facts(F26, row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.90"))),
        "pass",
        "90pct",
    ),
    case(
        G,
        F26,
        "little_giant_main_business_ratio",
        facts(
            F26,
            row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.90", nudge=-1)),
        ),
        "fail",
        "below-90pct",
    ),
    case(
        G,
        F26,
        "little_giant_revenue_growth",
        facts(
            F26,
            row(operating_revenue_fen=at_ratio("1.1025")),
            row(),
            row(operating_revenue_fen=BASE),
        ),
        "pass",
        "cagr-exactly-5pct",
    ),
    case(
        G,
        F26,
        "little_giant_revenue_growth",
        facts(
            F26,
            row(operating_revenue_fen=at_ratio("1.1025", nudge=-1)),
            row(),
            row(operating_revenue_fen=BASE),
        ),
        "fail",
        "cagr-just-below",
    ),
    case(
        G,
        F26,
        "little_giant_debt_ratio",
        facts(F26, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.75"))),
        "pass",
        "75pct",
    ),
    case(
        G,
        F26,
        "little_giant_debt_ratio",
        facts(F26, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.75", nudge=1))),
        "fail",
        "above-75pct",
    ),
    case(
        G,
        F26,
        "little_giant_rd_input",
        facts(
            F26,
            row(operating_revenue_fen=2 * YI, rd_expense_fen=600 * WAN),
            row(operating_revenue_fen=2 * YI, rd_expense_fen=600 * WAN),
        ),
        "pass",
        "1200wan-3pct-each",
    ),
    case(
        G,
        F26,
        "little_giant_rd_input",
        facts(
            F26,
            row(operating_revenue_fen=YI, rd_expense_fen=600 * WAN),
            row(operating_revenue_fen=YI, rd_expense_fen=600 * WAN - 1),
        ),
        "fail",
        "sum-below-1200wan",
    ),
    case(
        G,
        F26,
        "little_giant_rd_input",
        facts(
            F26,
            row(operating_revenue_fen=YI, rd_expense_fen=1000 * WAN),
            row(operating_revenue_fen=YI, rd_expense_fen=at_ratio("0.03", YI, -1)),
        ),
        "fail",
        "one-year-below-3pct",
    ),
    case(
        G,
        F26,
        "little_giant_ip",
        facts(F26, row(ip_class1_own_top3=4, ip_class1=9), confirmations=IN_USE),
        "pass",
        "4-own",
    ),
    case(
        G,
        F26,
        "little_giant_ip",
        facts(F26, row(ip_class1_own_top3=3, ip_class1=9), confirmations=IN_USE),
        "fail",
        "3-own-transferred-in-do-not-count",
    ),
    case(
        G,
        F26,
        "little_giant_ip",
        facts(F26, row(ip_class1_own_top3=0), awards=(Award(ST, NAT, date(2024, 1, 1), 3),)),
        "pass",
        "exempt-national-award-top3",
    ),
    case(
        G,
        F26,
        "little_giant_ip",
        facts(F26, row(ip_class1_own_top3=0), awards=(Award(ST, PROV, date(2024, 1, 1), 1),)),
        "fail",
        "provincial-award-no-exemption",
    ),
    case(
        G,
        F26,
        "little_giant_market_share",
        facts(F26, market_share_ratio=Decimal("0.10")),
        "pass",
        "10pct",
    ),
    case(
        G,
        F26,
        "little_giant_market_share",
        facts(F26, market_share_ratio=Decimal("0.02"), domestic_market_rank=3),
        "pass",
        "rank-3",
    ),
    case(
        G,
        F26,
        "little_giant_market_share",
        facts(F26, market_share_ratio=Decimal("0.0999"), domestic_market_rank=4),
        "fail",
        "below-10pct-rank-4",
    ),
    case(
        G,
        F26,
        "little_giant_product_field",
        facts(
            F26,
            leading_product_fields=fields(ProductField.FUTURE_INDUSTRY),
            confirmations=confirmed(key_chain_position=True),
        ),
        "pass",
        "future-industry",
    ),
    case(
        G,
        F26,
        "little_giant_product_field",
        facts(
            F26,
            leading_product_fields=fields(ProductField.CYBER_POWER_KEY),
            confirmations=confirmed(key_chain_position=True),
        ),
        "fail",
        "cyber-no-longer-listed",
    ),
    case(
        G,
        F26,
        "little_giant_quality_score",
        facts(F26, quality_scores={2026: Decimal("60")}),
        "pass",
        "60",
    ),
    case(
        G,
        F26,
        "little_giant_quality_score",
        facts(F26, quality_scores={2026: Decimal("59.99")}),
        "fail",
        "59.99",
    ),
    case(
        G,
        F26,
        "little_giant_not_champion_or_group",
        facts(F26, confirmations=confirmed(not_champion_or_group_giant=False)),
        "fail",
        "single-champion",
    ),
]


def gz(filed_on: date, *rows: dict[str, Any], **other: Any) -> EvaluationInput:
    return facts(filed_on, *rows, **other)


def guizhou_cases() -> list[Any]:
    out = []
    for filed_on in (F25, F26):
        y = str(filed_on.year)
        for criterion_id, evaluation_input, expected, label in [
            (
                "guizhou_revenue",
                gz(filed_on, row(operating_revenue_fen=2000 * WAN)),
                "pass",
                "2000wan",
            ),
            (
                "guizhou_revenue",
                gz(
                    filed_on,
                    row(operating_revenue_fen=2000 * WAN - 1),
                    leading_product_fields=frozenset(),
                ),
                "fail",
                "below-2000wan",
            ),
            (
                "guizhou_revenue",
                gz(
                    filed_on,
                    row(operating_revenue_fen=1000 * WAN),
                    leading_product_fields=fields(ProductField.ETHNIC_HANDICRAFT),
                ),
                "pass",
                "handicraft-1000wan",
            ),
            (
                "guizhou_revenue",
                gz(
                    filed_on,
                    row(operating_revenue_fen=1000 * WAN - 1),
                    leading_product_fields=fields(ProductField.ETHNIC_HANDICRAFT),
                ),
                "fail",
                "handicraft-below-1000wan",
            ),
            (
                "guizhou_revenue",
                gz(
                    filed_on,
                    row(operating_revenue_fen=1000 * WAN),
                    leading_product_fields=fields(ProductField.SIX_FOUNDATIONS),
                ),
                "fail",
                "1000wan-not-handicraft",
            ),
            (
                "guizhou_debt_ratio",
                gz(filed_on, row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.70"))),
                "pass",
                "70pct",
            ),
            (
                "guizhou_debt_ratio",
                gz(
                    filed_on,
                    row(total_assets_fen=BASE, total_liabilities_fen=at_ratio("0.70", nudge=1)),
                ),
                "fail",
                "above-70pct",
            ),
            (
                "guizhou_main_business_ratio",
                gz(
                    filed_on,
                    row(operating_revenue_fen=BASE, main_business_revenue_fen=at_ratio("0.70")),
                ),
                "pass",
                "70pct",
            ),
            (
                "guizhou_main_business_ratio",
                gz(
                    filed_on,
                    row(
                        operating_revenue_fen=BASE,
                        main_business_revenue_fen=at_ratio("0.70", nudge=-1),
                    ),
                ),
                "fail",
                "below-70pct",
            ),
            ("guizhou_own_ip", gz(filed_on, row(ip_class1=0, ip_class2=1)), "pass", "class2"),
            ("guizhou_own_ip", gz(filed_on, row(ip_class1=0, ip_class2=0)), "fail", "none"),
            (
                "guizhou_management",
                gz(
                    filed_on,
                    quality_items=frozenset(
                        {QualityItem.MANAGEMENT_SYSTEM_CERTIFICATE, QualityItem.OWN_BRAND}
                    ),
                ),
                "pass",
                "certificate-and-brand",
            ),
            (
                "guizhou_management",
                gz(filed_on, quality_items=frozenset({QualityItem.OWN_BRAND})),
                "fail",
                "brand-only",
            ),
            (
                "guizhou_digitalisation",
                gz(filed_on, confirmations=confirmed(digital_tools=True)),
                "pass",
                "confirmed",
            ),
            (
                "guizhou_niche_leadership",
                gz(filed_on, confirmations=confirmed(niche_leadership=False)),
                "fail",
                "refused",
            ),
        ]:
            out.append(
                case(
                    S,
                    filed_on,
                    criterion_id,
                    evaluation_input,
                    expected,
                    f"{y}-{label}",
                    province=GUIZHOU,
                )
            )
    return out


@pytest.mark.parametrize(
    ("tier", "filed_on", "criterion_id", "evaluation_input", "expected", "app"),
    CASES_2022 + CASES_2026 + guizhou_cases(),
)
def test_a_condition_at_and_beyond_its_boundary(
    tier: Tier,
    filed_on: date,
    criterion_id: str,
    evaluation_input: EvaluationInput,
    expected: str,
    app: dict[str, Any],
) -> None:
    result = criterion(tier, filed_on, criterion_id, evaluation_input, **app)
    assert tri(result.result) == expected, result.checks


def test_guizhou_conditions_are_not_applied_in_gansu() -> None:
    with pytest.raises(KeyError):
        criterion(S, F25, "guizhou_revenue", facts(F25), province=GANSU)


def test_the_guizhou_exclusions_cite_the_seed_beside_the_national_source() -> None:
    found = criterion(S, F26, "major_accident_3y", facts(F26), province=GUIZHOU)
    assert any("2号" in s for s in found.sources)
    assert any("seed 003" in s for s in found.sources)
