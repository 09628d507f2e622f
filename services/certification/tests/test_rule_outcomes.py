"""How criteria decide the outcome: exclusions and prerequisites on every tier, the score against
its pass mark and minimums, direct routes, and undetermined outcomes when facts are missing."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from services.certification.tests.rules_support import (
    BASE,
    FILED_2025,
    FILED_2026,
    GUIZHOU,
    application,
    at_ratio,
    change_year,
    evaluate,
    facts,
    strong_enterprise,
)
from sme_certification.rules.explanation import Outcome
from sme_certification.rules.facts import (
    ApplicationKind,
    CreditFlag,
    EvaluationInput,
    HeldTitle,
    Honour,
    HonourKind,
    Level,
    ProductField,
    RdInstitutionLevel,
    Tier,
)
from sme_certification.rules.predicates import years_before

INN, S, G = Tier.INNOVATIVE, Tier.SPECIALISED, Tier.LITTLE_GIANT
EVERY_TIER_AND_VERSION = [
    pytest.param(tier, filed_on, id=f"{tier.value}-{filed_on.year}")
    for tier in Tier
    for filed_on in (FILED_2025, FILED_2026)
]


@pytest.mark.parametrize(("tier", "filed_on"), EVERY_TIER_AND_VERSION)
@pytest.mark.parametrize("province", ["620000", GUIZHOU])
def test_the_strong_enterprise_passes_every_tier_under_both_versions(
    tier: Tier, filed_on: date, province: str
) -> None:
    explanation = evaluate(
        strong_enterprise(filed_on), application(tier, filed_on, province=province)
    )
    assert explanation.outcome is Outcome.PASSED, explanation.to_dict()
    assert explanation.reasons == () and explanation.missing == ()


# --- general exclusions, on every tier ----------------------------------------------------------


def flagged(filed_on: date, *flags: CreditFlag) -> EvaluationInput:
    return strong_enterprise(filed_on, flags=flags)


def on(filed_on: date, years: int = 0, days: int = 0) -> date:
    """``years`` calendar years before the filing date, then ``days`` later."""
    return years_before(filed_on, years) + timedelta(days=days)


EXCLUSIONS = [
    # (label, flags relative to the filing date, barred?, the criterion that bars)
    (
        "dishonesty-in-force",
        lambda d: [CreditFlag("serious_dishonesty", on(d, 1))],
        True,
        "serious_dishonesty",
    ),
    (
        "dishonesty-ended-on-filing-day",
        lambda d: [CreditFlag("serious_dishonesty", on(d, 1), d)],
        False,
        "serious_dishonesty",
    ),
    (
        "dishonesty-ends-the-day-after",
        lambda d: [CreditFlag("serious_dishonesty", on(d, 1), on(d, days=1))],
        True,
        "serious_dishonesty",
    ),
    (
        "accident-3-years-to-the-day",
        lambda d: [CreditFlag("major_accident", on(d, 3))],
        True,
        "major_accident_3y",
    ),
    (
        "accident-3-years-and-a-day",
        lambda d: [CreditFlag("major_accident", on(d, 3, -1))],
        False,
        "major_accident_3y",
    ),
    (
        "accident-lifted-still-counts",
        lambda d: [CreditFlag("major_accident", on(d, 1), on(d, 1, 30))],
        True,
        "major_accident_3y",
    ),
    (
        "falsification-ban-last-day",
        lambda d: [CreditFlag("data_falsification", on(d, 3, 1))],
        True,
        "data_falsification_ban",
    ),
    (
        "falsification-ban-over",
        lambda d: [CreditFlag("data_falsification", on(d, 3))],
        False,
        "data_falsification_ban",
    ),
    (
        "falsification-ban-lifted-by-decision",
        lambda d: [CreditFlag("data_falsification", on(d, 1), on(d, days=-10))],
        False,
        "data_falsification_ban",
    ),
    (
        "flag-raised-after-filing",
        lambda d: [CreditFlag("serious_dishonesty", on(d, days=1))],
        False,
        "serious_dishonesty",
    ),
]


@pytest.mark.parametrize(("tier", "filed_on"), EVERY_TIER_AND_VERSION)
@pytest.mark.parametrize(
    ("label", "make_flags", "barred", "criterion_id"),
    [pytest.param(*row, id=row[0]) for row in EXCLUSIONS],
)
def test_general_exclusions_apply_to_every_tier(
    tier: Tier, filed_on: date, label: str, make_flags: Any, barred: bool, criterion_id: str
) -> None:
    explanation = evaluate(flagged(filed_on, *make_flags(filed_on)), application(tier, filed_on))
    assert explanation.criterion(criterion_id).result is (not barred)
    if barred:
        assert explanation.outcome is Outcome.FAILED
        assert explanation.reasons == (criterion_id,)
    else:
        assert explanation.outcome is Outcome.PASSED


@pytest.mark.parametrize("tier", list(Tier))
def test_the_abnormal_operations_list_bars_under_2026_only(tier: Tier) -> None:
    flag = CreditFlag("abnormal_operations", date(2025, 1, 1))
    in_2026 = evaluate(flagged(FILED_2026, flag), application(tier, FILED_2026))
    in_2025 = evaluate(flagged(FILED_2025, flag), application(tier, FILED_2025))
    assert (in_2026.outcome, in_2026.reasons) == (Outcome.FAILED, ("abnormal_operations",))
    assert in_2025.outcome is Outcome.PASSED


@pytest.mark.parametrize(("tier", "filed_on"), EVERY_TIER_AND_VERSION)
def test_a_large_enterprise_is_not_an_sme(tier: Tier, filed_on: date) -> None:
    explanation = evaluate(
        strong_enterprise(filed_on, size_class="large"), application(tier, filed_on)
    )
    assert explanation.reasons == ("sme_size_class",)


# --- a higher tier needs a valid lower one ------------------------------------------------------


def titles(*held: HeldTitle) -> tuple[HeldTitle, ...]:
    return held


def innovative(issued: date, expires: date, **other: Any) -> HeldTitle:
    return HeldTitle(Tier.INNOVATIVE, Level.PROVINCIAL, issued, expires, **other)


D = FILED_2026
PREREQUISITE_CASES = [
    ("valid", titles(innovative(date(2024, 1, 1), date(2026, 12, 31))), True),
    ("expires-on-filing-day", titles(innovative(date(2023, 6, 2), D)), True),
    ("expired-the-day-before", titles(innovative(date(2023, 6, 1), date(2026, 5, 31))), False),
    (
        "expired-but-re-review-pending",
        titles(innovative(date(2023, 6, 1), date(2026, 5, 31), re_review_pending=True)),
        True,
    ),
    (
        "revoked-before-filing",
        titles(innovative(date(2024, 1, 1), date(2026, 12, 31), revoked_on=date(2026, 3, 1))),
        False,
    ),
    (
        "revoked-after-filing",
        titles(innovative(date(2024, 1, 1), date(2026, 12, 31), revoked_on=date(2026, 7, 1))),
        True,
    ),
    ("issued-after-filing", titles(innovative(date(2026, 6, 2), date(2029, 6, 1))), False),
    (
        "only-a-higher-title",
        titles(HeldTitle(Tier.SPECIALISED, Level.PROVINCIAL, date(2024, 1, 1), date(2026, 12, 31))),
        False,
    ),
    ("none", titles(), False),
]


@pytest.mark.parametrize(
    ("label", "held", "valid"), [pytest.param(*c, id=c[0]) for c in PREREQUISITE_CASES]
)
def test_2026_specialised_needs_a_valid_innovative_title(
    label: str, held: tuple[HeldTitle, ...], valid: bool
) -> None:
    explanation = evaluate(strong_enterprise(D, held_titles=held), application(S, D))
    assert explanation.criterion("specialised_holds_innovative").result is valid
    assert explanation.outcome is (Outcome.PASSED if valid else Outcome.FAILED)


@pytest.mark.parametrize(("filed_on", "rule_set"), [(FILED_2025, "63"), (FILED_2026, "2号")])
def test_little_giant_needs_a_valid_specialised_title(filed_on: date, rule_set: str) -> None:
    only_innovative = strong_enterprise(
        filed_on, held_titles=(innovative(date(2024, 1, 1), date(2026, 12, 31)),)
    )
    explanation = evaluate(only_innovative, application(G, filed_on))
    assert explanation.reasons == ("little_giant_holds_specialised",)
    assert any(
        rule_set in s for s in explanation.criterion("little_giant_holds_specialised").sources
    )


@pytest.mark.parametrize("tier", [S, G])
def test_a_re_review_does_not_ask_for_the_lower_title_again(tier: Tier) -> None:
    untitled = strong_enterprise(D, held_titles=())
    new = evaluate(untitled, application(tier, D))
    re_review = evaluate(
        untitled, application(tier, date(2027, 6, 1), kind=ApplicationKind.RE_REVIEW)
    )
    assert new.outcome is Outcome.FAILED
    assert all(c.kind.value != "prerequisite" for c in re_review.criteria)


# --- the score, its minimums and the direct routes ----------------------------------------------


def innovative_case(
    *,
    ip: dict[str, int] | None = None,
    rd: str = "0.02",
    debt: str = "0.75",
    main: str = "0.70",
    field: ProductField = ProductField.SIX_FOUNDATIONS,
    **other: Any,
) -> EvaluationInput:
    """创新型 figures with chosen bands. Defaults: IP 10, R&D 10 (创新能力 20); growth 5% → 10,
    debt 75% → 5 (成长性 15); field 5, main business 70% → 20 (专业化 25): 60 in all."""
    main_last = BASE * 105 // 100  # main-business growth of exactly 5%
    revenue = main_last * 100 // int(at_ratio(main, 100))
    assert at_ratio(main, revenue) == main_last
    return facts(
        FILED_2025,
        {
            "operating_revenue_fen": revenue,
            "main_business_revenue_fen": main_last,
            "rd_expense_fen": at_ratio(rd, revenue),
            "total_assets_fen": BASE,
            "total_liabilities_fen": at_ratio(debt),
            **(ip or {"ip_class1": 1, "ip_class1_self_developed": 0, "ip_class1_high_value": 0}),
            "qualified_equity_raised_fen": 0,
        },
        {"main_business_revenue_fen": BASE, "qualified_equity_raised_fen": 0},
        {"qualified_equity_raised_fen": 0},
        size_class="small",
        leading_product_fields=frozenset({field}),
        rd_institution_level=RdInstitutionLevel.NONE,
        **other,
    )


def innovative_outcome(
    evaluation_input: EvaluationInput,
) -> tuple[Outcome, int | None, tuple[str, ...]]:
    explanation = evaluate(evaluation_input, application(INN, FILED_2025))
    assert explanation.score is not None
    return explanation.outcome, explanation.score.points, explanation.reasons


def test_innovative_passes_at_exactly_60_with_every_minimum_met() -> None:
    assert innovative_outcome(innovative_case()) == (Outcome.PASSED, 60, ())


def test_innovative_fails_at_55() -> None:
    assert innovative_outcome(innovative_case(main="0.60")) == (Outcome.FAILED, 55, ("score",))


def test_innovative_fails_at_60_when_innovation_is_below_its_minimum_of_20() -> None:
    low_innovation = innovative_case(
        ip={
            "ip_class1_high_value": 0,
            "ip_class1_self_developed": 0,
            "ip_class1": 0,
            "ip_class2": 1,
        },
        debt="0.55",
    )
    explanation = evaluate(low_innovation, application(INN, FILED_2025))
    assert explanation.score is not None
    dims = {d.id: d.points for d in explanation.score.dimensions}
    assert (explanation.score.points, dims["innovation"]) == (60, 15)
    assert (explanation.outcome, explanation.reasons) == (Outcome.FAILED, ("score",))


@pytest.mark.parametrize(
    ("label", "route", "other"),
    [
        (
            "honour",
            "innovative_route_honour",
            {
                "honours": (
                    Honour(HonourKind.HIGH_TECH_ENTERPRISE, date(2023, 1, 1), date(2025, 12, 31)),
                )
            },
        ),
        (
            "rd-institution",
            "innovative_route_rd_institution",
            {"rd_institution_level": RdInstitutionLevel.PROVINCIAL},
        ),
    ],
)
def test_a_direct_route_passes_innovative_below_the_pass_mark(
    label: str, route: str, other: dict[str, Any]
) -> None:
    weak = replace(innovative_case(main="0.50"), **other)
    explanation = evaluate(weak, application(INN, FILED_2025))
    assert explanation.score is not None and explanation.score.result is False
    assert explanation.outcome is Outcome.PASSED_BY_DIRECT_ROUTE
    assert explanation.direct_routes_met == (route,)


def test_an_expired_honour_is_no_direct_route() -> None:
    expired = Honour(HonourKind.HIGH_TECH_ENTERPRISE, date(2021, 1, 1), date(2025, 5, 31))
    weak = replace(innovative_case(main="0.50"), honours=(expired,))
    assert evaluate(weak, application(INN, FILED_2025)).outcome is Outcome.FAILED


def test_equity_of_500wan_over_three_years_is_a_direct_route_for_innovative() -> None:
    weak = innovative_case(main="0.50")
    funded = change_year(
        change_year(weak, 2024, qualified_equity_raised_fen=200_000_000),
        2022,
        qualified_equity_raised_fen=300_000_000,
    )
    short = change_year(funded, 2022, qualified_equity_raised_fen=300_000_000 - 1)
    assert evaluate(funded, application(INN, FILED_2025)).outcome is Outcome.PASSED_BY_DIRECT_ROUTE
    assert evaluate(short, application(INN, FILED_2025)).outcome is Outcome.FAILED


def test_specialised_2022_fails_below_60_and_passes_by_a_direct_route() -> None:
    strong = strong_enterprise(FILED_2025)
    weak = replace(
        change_year(
            strong,
            2024,
            rd_expense_fen=700 * 1_000_000,
            net_profit_fen=0,
            ip_class1_high_value=0,
            ip_class1_self_developed=0,
            ip_class1=0,
            ip_class2=0,
            rd_staff=0,
            digital_level=1,
        ),
        rd_institution_level=RdInstitutionLevel.NONE,
        quality_items=frozenset(),
    )
    failed = evaluate(weak, application(S, FILED_2025))
    assert failed.score is not None and failed.score.points < 60
    assert (failed.outcome, failed.reasons) == (Outcome.FAILED, ("score",))
    funded = change_year(weak, 2024, qualified_equity_raised_fen=6000 * 1_000_000)
    passed = evaluate(funded, application(S, FILED_2025))
    assert passed.outcome is Outcome.PASSED_BY_DIRECT_ROUTE
    assert passed.direct_routes_met == ("specialised_route_equity",)


def test_a_direct_route_does_not_excuse_a_failed_condition() -> None:
    too_new = change_year(strong_enterprise(FILED_2025), 2024, niche_market_years=1)
    explanation = evaluate(too_new, application(S, FILED_2025))
    assert explanation.direct_routes_met == ("specialised_route_rd_mean",)
    assert (explanation.outcome, explanation.reasons) == (
        Outcome.FAILED,
        ("specialised_niche_years",),
    )


# --- missing facts are never guessed -------------------------------------------------------------


def test_an_unconfirmed_qualitative_item_leaves_the_outcome_undetermined() -> None:
    strong = strong_enterprise(FILED_2026)
    unconfirmed = replace(
        strong,
        confirmations={k: v for k, v in strong.confirmations.items() if k != "market_position"},
    )
    explanation = evaluate(unconfirmed, application(S, FILED_2026))
    assert explanation.outcome is Outcome.UNDETERMINED
    assert explanation.missing == ("confirmation:market_position",)


def test_a_definite_failure_is_reported_even_when_other_facts_are_missing() -> None:
    sparse = facts(FILED_2026, {"niche_market_years": 1}, size_class="small")
    explanation = evaluate(sparse, application(S, FILED_2026))
    assert explanation.outcome is Outcome.FAILED
    assert "specialised_niche_years" in explanation.reasons
    assert explanation.missing == ()


def test_a_score_that_missing_facts_could_still_lift_past_60_is_undetermined() -> None:
    no_ip = change_year(
        innovative_case(main="0.60"),
        2024,
        ip_class1_high_value=None,
        ip_class1_self_developed=None,
        ip_class1=None,
        ip_class2=None,
    )
    explanation = evaluate(no_ip, application(INN, FILED_2025))
    assert explanation.score is not None
    assert (explanation.score.points, explanation.score.points_up_to) == (45, 65)
    assert explanation.outcome is Outcome.UNDETERMINED
    assert "ip_class1@2024" in explanation.missing
    assert all(not m.startswith("rd_expense_ratio") for m in explanation.missing)


def test_a_score_out_of_reach_even_with_the_missing_facts_fails() -> None:
    no_ip = change_year(
        innovative_case(main="0.50", rd="0.01"),
        2024,
        ip_class1_high_value=None,
        ip_class1_self_developed=None,
        ip_class1=None,
        ip_class2=None,
    )
    explanation = evaluate(no_ip, application(INN, FILED_2025))
    assert explanation.score is not None and explanation.score.points_up_to < 60
    assert explanation.outcome is Outcome.FAILED
