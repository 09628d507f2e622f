"""Matching a need to a product: one criterion each, with its reason; eligible when all are met."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sme_common.rules import RuleViolation
from sme_finance_matching.needs.domain import (
    NeedProfile,
    NeedStatus,
    ProductTerms,
    Weights,
    check_status_change,
    match,
    rank,
    status_after_matching,
)

WEIGHTS = Weights.load()
NEED = NeedProfile(
    amount_fen=300_000_000,
    term_months=24,
    province_code="620000",
    reporting_unit_code="620100",
    industry_section="C",
    tier="specialised",
    size_class="small",
)
PRODUCT = ProductTerms(
    product_id="prod_a",
    institution_id="inst_a",
    min_amount_fen=10_000_000,
    max_amount_fen=500_000_000,
    min_term_months=6,
    max_term_months=36,
    eligible_tiers=("specialised", "little_giant"),
    eligible_industry_sections=("C",),
    eligible_region_codes=("620100",),
    eligible_size_classes=("small", "medium"),
)
TOTAL = sum(
    (WEIGHTS.amount, WEIGHTS.term, WEIGHTS.tier, WEIGHTS.industry, WEIGHTS.region, WEIGHTS.size)
)


def test_the_weights_are_versioned_data_adding_up_to_100() -> None:
    assert WEIGHTS.version and TOTAL == 100


def test_a_need_inside_every_term_is_eligible_with_the_full_score() -> None:
    result = match(NEED, PRODUCT, WEIGHTS)
    assert result.eligible and result.score == 100
    assert [c.name for c in result.criteria] == [
        "amount",
        "term",
        "tier",
        "industry",
        "region",
        "size",
    ]
    assert all(c.reason and c.reason_zh for c in result.criteria)


@pytest.mark.parametrize(
    ("change", "criterion", "lost"),
    [
        ({"amount_fen": 600_000_000}, "amount", WEIGHTS.amount),
        ({"amount_fen": 9_999_999}, "amount", WEIGHTS.amount),
        ({"term_months": 48}, "term", WEIGHTS.term),
        ({"tier": "innovative"}, "tier", WEIGHTS.tier),
        ({"tier": None}, "tier", WEIGHTS.tier),
        ({"industry_section": "F"}, "industry", WEIGHTS.industry),
        ({"reporting_unit_code": "620200"}, "region", WEIGHTS.region),
        ({"size_class": "micro"}, "size", WEIGHTS.size),
    ],
)
def test_each_criterion_missed_costs_its_weight_and_eligibility(
    change: dict[str, object], criterion: str, lost: int
) -> None:
    result = match(dataclasses.replace(NEED, **change), PRODUCT, WEIGHTS)  # type: ignore[arg-type]
    assert not result.eligible and result.score == 100 - lost
    missed = [c for c in result.criteria if not c.met]
    assert [c.name for c in missed] == [criterion]
    assert missed[0].points == 0 and missed[0].max_points == lost


def test_the_range_bounds_are_inclusive() -> None:
    for amount in (PRODUCT.min_amount_fen, PRODUCT.max_amount_fen):
        assert match(dataclasses.replace(NEED, amount_fen=amount), PRODUCT, WEIGHTS).eligible


def test_an_unrestricted_product_is_open_to_a_need_that_says_nothing() -> None:
    open_product = dataclasses.replace(
        PRODUCT,
        eligible_tiers=(),
        eligible_industry_sections=(),
        eligible_region_codes=(),
        eligible_size_classes=(),
    )
    vague = dataclasses.replace(NEED, tier=None, industry_section=None, size_class=None)
    assert match(vague, open_product, WEIGHTS).eligible


def test_a_product_for_the_whole_province_covers_every_city() -> None:
    provincial = dataclasses.replace(PRODUCT, eligible_region_codes=("620000",))
    need = dataclasses.replace(NEED, reporting_unit_code="620900")
    assert match(need, provincial, WEIGHTS).eligible


def test_ranking_puts_eligible_first_then_score_and_keeps_to_addressed_institutions() -> None:
    near = dataclasses.replace(PRODUCT, product_id="prod_b", max_term_months=12)
    far = dataclasses.replace(
        PRODUCT,
        product_id="prod_c",
        institution_id="inst_c",
        eligible_tiers=("innovative",),
        max_term_months=12,
    )
    ranked = rank(NEED, [far, near, PRODUCT], WEIGHTS)
    assert [m.product_id for m in ranked] == ["prod_a", "prod_b", "prod_c"]
    addressed = rank(NEED, [far, near, PRODUCT], WEIGHTS, addressed=("inst_c",))
    assert [m.product_id for m in addressed] == ["prod_c"]


@given(
    amount=st.integers(min_value=1, max_value=10**14),
    term=st.integers(min_value=1, max_value=600),
    tier=st.sampled_from([None, "innovative", "specialised", "little_giant"]),
)
def test_a_score_stays_between_zero_and_its_maximum_and_is_full_only_when_eligible(
    amount: int, term: int, tier: str | None
) -> None:
    result = match(
        dataclasses.replace(NEED, amount_fen=amount, term_months=term, tier=tier),
        PRODUCT,
        WEIGHTS,
    )
    assert 0 <= result.score <= 100
    assert (result.score == 100) == result.eligible


def test_statuses_follow_matching_until_an_institution_takes_the_need_up() -> None:
    assert status_after_matching(NeedStatus.OPEN, 2) is NeedStatus.MATCHED
    assert status_after_matching(NeedStatus.MATCHED, 0) is NeedStatus.OPEN
    assert status_after_matching(NeedStatus.IN_PROGRESS, 0) is NeedStatus.IN_PROGRESS
    check_status_change(NeedStatus.IN_PROGRESS, NeedStatus.GRANTED)
    with pytest.raises(RuleViolation) as refused:
        check_status_change(NeedStatus.WITHDRAWN, NeedStatus.OPEN)
    assert refused.value.code == "need_transition_not_allowed"
