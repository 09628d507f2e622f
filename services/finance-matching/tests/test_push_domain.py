"""The enterprise push's pure rules: which products an enterprise is told it is eligible for, and
the periods pushes are counted by."""

from __future__ import annotations

from datetime import date

import pytest

from sme_finance_matching.lists.domain import Schedule
from sme_finance_matching.needs.domain import ProductTerms, Weights
from sme_finance_matching.pushes import domain
from sme_finance_matching.pushes.domain import ListedEnterprise


def enterprise(**overrides: object) -> ListedEnterprise:
    values: dict[str, object] = {
        "uscc": "91620102MA00001038",
        "name": "兰州精工科技有限公司",
        "tier": "specialised",
        "level": "provincial",
        "certificate_id": "cert_1",
        "issued_on": date(2026, 1, 10),
        "expires_on": date(2029, 1, 9),
        "region_code": "620102",
        "reporting_unit_code": "620100",
        "industry_code": "C3484",
        "industry_section": "C",
        "size_class": None,
        **overrides,
    }
    return ListedEnterprise(**values)  # type: ignore[arg-type]


def product(**restrictions: tuple[str, ...]) -> ProductTerms:
    values = {
        "eligible_tiers": (),
        "eligible_industry_sections": (),
        "eligible_region_codes": (),
        "eligible_size_classes": (),
        **restrictions,
    }
    return ProductTerms(
        product_id="prod_1",
        institution_id="inst_1",
        min_amount_fen=1,
        max_amount_fen=10,
        min_term_months=1,
        max_term_months=12,
        **values,
    )


@pytest.mark.parametrize(
    ("restrictions", "overrides", "eligible", "to_confirm"),
    [
        ({}, {}, True, ()),
        ({"eligible_tiers": ("little_giant",)}, {}, False, ()),
        ({"eligible_tiers": ("specialised", "little_giant")}, {}, True, ()),
        ({"eligible_industry_sections": ("A",)}, {}, False, ()),
        ({"eligible_industry_sections": ("A",)}, {"industry_section": None}, True, ("industry",)),
        ({"eligible_region_codes": ("620200",)}, {}, False, ()),
        ({"eligible_region_codes": ("620000",)}, {}, True, ()),  # the whole province
        ({"eligible_size_classes": ("small",)}, {}, True, ("size",)),
        ({"eligible_size_classes": ("small",)}, {"size_class": "medium"}, False, ()),
        ({"eligible_size_classes": ("small",)}, {"size_class": "small"}, True, ()),
    ],
)
def test_a_known_restriction_unmet_rules_a_product_out_and_an_unknown_one_is_left_to_confirm(
    restrictions: dict[str, tuple[str, ...]],
    overrides: dict[str, object],
    eligible: bool,
    to_confirm: tuple[str, ...],
) -> None:
    verdict = domain.eligibility(enterprise(**overrides), product(**restrictions), Weights.load())
    assert (verdict is not None) == eligible
    if verdict is not None:
        assert verdict.to_confirm == to_confirm
        assert verdict.reason and verdict.reason_zh


def test_the_reason_names_the_restrictions_met_or_says_the_product_is_open() -> None:
    weights = Weights.load()
    opened = domain.eligibility(enterprise(), product(), weights)
    assert opened is not None and "open to any" in opened.reason
    tiered = domain.eligibility(enterprise(), product(eligible_tiers=("specialised",)), weights)
    assert tiered is not None and "specialised" in tiered.reason and "open" not in tiered.reason


@pytest.mark.parametrize(
    ("today", "schedule", "key", "starts_on", "ends_before"),
    [
        (date(2026, 11, 26), Schedule.MONTHLY, "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
        (date(2026, 12, 31), Schedule.MONTHLY, "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        (date(2026, 11, 26), Schedule.WEEKLY, "2026-W48", date(2026, 11, 23), date(2026, 11, 30)),
        (date(2026, 11, 26), Schedule.DAILY, "2026-11-26", date(2026, 11, 26), date(2026, 11, 27)),
        (date(2026, 11, 26), Schedule.OFF, "2026-11", date(2026, 11, 1), date(2026, 12, 1)),
    ],
)
def test_a_push_period_follows_the_snapshot_schedule_and_a_month_when_it_is_off(
    today: date, schedule: Schedule, key: str, starts_on: date, ends_before: date
) -> None:
    assert domain.push_period(today, schedule) == domain.Period(key, starts_on, ends_before)


def test_the_checksum_is_of_the_canonical_json() -> None:
    content = {"b": "专精特新", "a": [1, {"d": None, "c": "x"}]}
    assert domain.canonical(content) == '{"a":[1,{"c":"x","d":null}],"b":"专精特新"}'.encode()
    assert domain.checksum(content) == domain.checksum(dict(reversed(list(content.items()))))
