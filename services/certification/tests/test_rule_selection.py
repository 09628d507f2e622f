"""Which rule set judges an application: by tier, application kind and filing date around
2026-04-01 (工信部企业〔2026〕2号), with 117号's exception for the 2026 小巨人 re-reviews and
2号文第三十条 keeping 63号附件1 for tier 1 (policy-facts §1.1); and which provincial overlays apply."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.certification.tests.rules_support import (
    FILED_2025,
    FILED_2026,
    GANSU,
    GUIZHOU,
    HUBEI,
    WAN,
    application,
    change_year,
    evaluate,
    strong_enterprise,
)
from sme_certification.rules.domain import choose_rule_set
from sme_certification.rules.explanation import Outcome
from sme_certification.rules.facts import ApplicationKind, Level, Tier
from sme_certification.rules.ruleset import NoRuleSet

INN, S, G = Tier.INNOVATIVE, Tier.SPECIALISED, Tier.LITTLE_GIANT
NEW, RE = ApplicationKind.NEW, ApplicationKind.RE_REVIEW
OLD, NEW_SET = "national-2022-63", "national-2026-2"

SELECTIONS = [
    # (tier, kind, filed on, rule set, selection rule)
    (S, NEW, date(2026, 3, 31), OLD, "gradient_2022_63"),
    (S, NEW, date(2026, 4, 1), NEW_SET, "from_2026_04_01"),
    (G, NEW, date(2026, 3, 31), OLD, "gradient_2022_63"),
    (G, NEW, date(2026, 4, 1), NEW_SET, "from_2026_04_01"),
    (INN, NEW, date(2026, 3, 31), OLD, "gradient_2022_63"),
    (INN, NEW, date(2026, 4, 1), NEW_SET, "from_2026_04_01"),
    # 复核: renewal is under the new measures from 2026-04-01 …
    (S, RE, date(2026, 3, 31), OLD, "gradient_2022_63"),
    (S, RE, date(2026, 4, 1), NEW_SET, "from_2026_04_01"),
    (INN, RE, date(2026, 4, 1), NEW_SET, "from_2026_04_01"),
    # … except the 2026 小巨人 re-reviews, judged on the 2022 standard (117号)
    (G, RE, date(2025, 12, 31), OLD, "gradient_2022_63"),
    (G, RE, date(2026, 1, 1), OLD, "little_giant_re_review_2026_on_63"),
    (G, RE, date(2026, 4, 1), OLD, "little_giant_re_review_2026_on_63"),
    (G, RE, date(2026, 12, 31), OLD, "little_giant_re_review_2026_on_63"),
    (G, RE, date(2027, 1, 1), NEW_SET, "from_2026_04_01"),
    # the start of 63号: issued June 2022, exact date unverified
    (S, NEW, date(2022, 6, 1), OLD, "gradient_2022_63_first_month"),
    (S, NEW, date(2022, 7, 1), OLD, "gradient_2022_63"),
]


@pytest.mark.parametrize(
    ("tier", "kind", "filed_on", "rule_set", "rule"),
    [pytest.param(*s, id=f"{s[0].value}-{s[1].value}-{s[2]}") for s in SELECTIONS],
)
def test_the_rule_set_follows_tier_kind_and_filing_date(
    tier: Tier, kind: ApplicationKind, filed_on: date, rule_set: str, rule: str
) -> None:
    selection = choose_rule_set(application(tier, filed_on, kind=kind))
    assert (selection.rule_set_id, selection.rule_id) == (rule_set, rule)


def test_the_explanation_names_the_rule_set_and_why() -> None:
    explanation = evaluate(strong_enterprise(date(2026, 4, 1)), application(S, date(2026, 4, 1)))
    assert (explanation.rule_set.id, explanation.rule_set.version) == (NEW_SET, "1")
    assert len(explanation.rule_set.fingerprint) == 64
    assert explanation.selected_by.startswith("from_2026_04_01 (工信部企业〔2026〕2号")


def test_applications_before_63_have_no_rule_set() -> None:
    with pytest.raises(NoRuleSet) as raised:
        choose_rule_set(application(S, date(2022, 5, 31)))
    assert raised.value.code == "rule_set_not_found"
    assert "2022-05-31" in raised.value.detail_zh


def test_the_first_month_of_63_is_marked_unverified() -> None:
    selection = choose_rule_set(application(S, date(2022, 6, 15)))
    assert selection.reason.endswith("unverified)")


def test_from_2026_04_01_tier_one_is_still_judged_by_63_attachment_1() -> None:
    before = evaluate(strong_enterprise(date(2026, 3, 31)), application(INN, date(2026, 3, 31)))
    after = evaluate(strong_enterprise(date(2026, 4, 1)), application(INN, date(2026, 4, 1)))
    assert after.rule_set.id == NEW_SET
    assert after.tier_source.startswith(
        "national-2022-63 1 tier innovative, by 工信部企业〔2026〕2号"
    )
    scored = [c.id for c in after.criteria if c.kind.value == "indicator"]
    assert scored == [c.id for c in before.criteria if c.kind.value == "indicator"]
    # the exclusions are the 2026 rule set's (the abnormal-operations list is new in 2026)
    assert "abnormal_operations" in [c.id for c in after.criteria]
    assert "abnormal_operations" not in [c.id for c in before.criteria]


def test_the_scoring_table_is_gone_for_specialised_from_2026_04_01() -> None:
    before = evaluate(strong_enterprise(date(2026, 3, 31)), application(S, date(2026, 3, 31)))
    after = evaluate(strong_enterprise(date(2026, 4, 1)), application(S, date(2026, 4, 1)))
    assert before.score is not None and after.score is None
    assert "specialised_quality_score" in [c.id for c in after.criteria]


def test_a_2026_little_giant_re_review_is_judged_on_63_and_a_2027_one_on_2026() -> None:
    strong_2026 = strong_enterprise(date(2026, 6, 1))
    re_2026 = evaluate(strong_2026, application(G, date(2026, 6, 1), kind=RE))
    new_2026 = evaluate(strong_2026, application(G, date(2026, 6, 1)))
    assert "little_giant_innovation" in [c.id for c in re_2026.criteria]  # 63号附件3
    assert "little_giant_quality_score" in [c.id for c in new_2026.criteria]  # 2号文


def test_a_2026_rules_re_review_does_not_check_growth_and_accepts_either_years_score() -> None:
    filed = date(2027, 6, 1)
    shrinking = replace(
        change_year(strong_enterprise(filed), 2024, operating_revenue_fen=30_000 * WAN),
        quality_scores={2027: Decimal("55"), 2026: Decimal("61")},
    )
    re_review = evaluate(shrinking, application(G, filed, kind=RE))
    new = evaluate(shrinking, application(G, filed))
    assert "little_giant_revenue_growth" not in [c.id for c in re_review.criteria]
    assert re_review.outcome is Outcome.PASSED
    assert {"little_giant_revenue_growth", "little_giant_quality_score"} <= set(new.reasons)


@pytest.mark.parametrize(
    ("tier", "level", "province", "filed_on", "overlays"),
    [
        (S, Level.PROVINCIAL, GUIZHOU, FILED_2025, ("guizhou-zjtx-plan",)),
        (S, Level.PROVINCIAL, GUIZHOU, FILED_2026, ("guizhou-zjtx-plan",)),
        (S, Level.PROVINCIAL, GANSU, FILED_2025, ("gansu-local-specialty",)),
        (S, Level.PROVINCIAL, GANSU, FILED_2026, ()),  # 特色化 abolished in 2026
        (S, Level.PROVINCIAL, HUBEI, FILED_2025, ()),
        (G, Level.NATIONAL, GUIZHOU, FILED_2025, ()),
        (INN, Level.PROVINCIAL, GUIZHOU, FILED_2025, ()),
        (S, Level.PROVINCIAL, None, FILED_2025, ()),
    ],
)
def test_overlays_apply_by_province_level_tier_and_rule_set(
    tier: Tier, level: Level, province: str | None, filed_on: date, overlays: tuple[str, ...]
) -> None:
    selection = choose_rule_set(application(tier, filed_on, level=level, province=province))
    assert selection.overlay_ids == overlays
    explanation = evaluate(
        strong_enterprise(filed_on), application(tier, filed_on, level=level, province=province)
    )
    assert tuple(o.id for o in explanation.overlays) == overlays
