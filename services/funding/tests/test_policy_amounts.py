"""Worked amounts of the spend-based, per-unit and "up to" policies, at their thresholds, caps and
rounding edges (integer fen, half up)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from sme_common.rules import RuleViolation
from sme_funding.policies.book import load_book
from sme_funding.policies.domain import (
    PayeeKind,
    Policy,
    PolicyBook,
    SpendDeclaration,
    TriggerKind,
    check_holder,
    subsidy_amount,
    unit_count_amount,
    up_to_amount,
)

WAN = 10_000 * 100  # 1万元 in fen
HUBEI, GANSU = "420000", "620000"


@pytest.fixture(scope="module")
def book() -> PolicyBook:
    return load_book()


def policy(book: PolicyBook, code: str, on: date = date(2024, 1, 1)) -> Policy:
    found = book.get(code, on)
    assert found is not None, code
    return found


@pytest.mark.parametrize(
    ("spend_fen", "rate", "expected_fen", "lines"),
    [
        (2000 * WAN, None, 200 * WAN, ["share_of_spend"]),  # at the threshold: 10%
        (3000 * WAN, None, 300 * WAN, ["share_of_spend"]),
        (
            3000 * WAN,
            Decimal("0.15"),
            450 * WAN,
            ["share_of_spend", "rate_raised"],
        ),  # raised to 15%
        (
            3000 * WAN,
            Decimal("0.20"),
            500 * WAN,
            ["share_of_spend", "rate_raised", "capped"],
        ),  # 600万 → cap
        (5000 * WAN, None, 500 * WAN, ["share_of_spend"]),  # exactly at the cap: not "capped"
        (6000 * WAN, None, 500 * WAN, ["share_of_spend", "capped"]),
        (2000 * WAN + 5, None, 200 * WAN + 1, ["share_of_spend"]),  # 0.5 fen rounds up
        (2000 * WAN + 4, None, 200 * WAN, ["share_of_spend"]),  # 0.4 fen rounds down
        (2000 * WAN + 15, None, 200 * WAN + 2, ["share_of_spend"]),  # 1.5 fen → 2 (not to even)
        (2000 * WAN + 25, None, 200 * WAN + 3, ["share_of_spend"]),  # 2.5 fen → 3 (not to even)
    ],
)
def test_hubei_rd_platform(
    book: PolicyBook, spend_fen: int, rate: Decimal | None, expected_fen: int, lines: list[str]
) -> None:
    decision = subsidy_amount(
        policy(book, "HB-RD-PLATFORM"),
        SpendDeclaration(eligible_spend_fen=spend_fen, rate_ratio=rate),
    )
    assert decision.amount_fen == expected_fen
    assert [line.code for line in decision.explanation] == lines


@pytest.mark.parametrize(
    ("declaration", "code", "field"),
    [
        (
            SpendDeclaration(3000 * WAN, rate_ratio=Decimal("0.25")),
            "rate_above_maximum",
            "rate_ratio",
        ),
        (
            SpendDeclaration(3000 * WAN, rate_ratio=Decimal("0.2001")),
            "rate_above_maximum",
            "rate_ratio",
        ),
        (
            SpendDeclaration(3000 * WAN, rate_ratio=Decimal("0.05")),
            "rate_below_policy",
            "rate_ratio",
        ),
        (SpendDeclaration(2000 * WAN - 1), "spend_below_threshold", "eligible_spend_fen"),
        (SpendDeclaration(0), "spend_below_threshold", "eligible_spend_fen"),
        (SpendDeclaration(-1), "amount_negative", "eligible_spend_fen"),
    ],
)
def test_hubei_rd_platform_refusals(
    book: PolicyBook, declaration: SpendDeclaration, code: str, field: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        subsidy_amount(policy(book, "HB-RD-PLATFORM"), declaration)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.detail and refused.value.detail_zh


@pytest.mark.parametrize(
    ("equipment_fen", "investment_fen", "expected_fen", "capped"),
    [
        (800 * WAN, 1000 * WAN, 64 * WAN, False),  # at the investment threshold
        (
            1 * WAN,
            1000 * WAN,
            800 * 100,
            False,
        ),  # no lower limit on equipment spend (取消设备投资下限)
        (12500 * WAN, 20000 * WAN, 1000 * WAN, False),  # exactly at the cap
        (20000 * WAN, 30000 * WAN, 1000 * WAN, True),  # 1600万 → cap 1000万
        (1234567, 1000 * WAN, 98765, False),  # 98765.36 fen → 98765
        (1234569, 1000 * WAN, 98766, False),  # 98765.52 fen → 98766
    ],
)
def test_hubei_technical_upgrade(
    book: PolicyBook, equipment_fen: int, investment_fen: int, expected_fen: int, capped: bool
) -> None:
    decision = subsidy_amount(
        policy(book, "HB-TECH-UPGRADE"),
        SpendDeclaration(eligible_spend_fen=equipment_fen, total_investment_fen=investment_fen),
    )
    assert decision.amount_fen == expected_fen
    assert ("capped" in [line.code for line in decision.explanation]) is capped


@pytest.mark.parametrize(
    ("declaration", "code", "field"),
    [
        (
            SpendDeclaration(800 * WAN, total_investment_fen=1000 * WAN - 1),
            "investment_below_threshold",
            "total_investment_fen",
        ),
        (SpendDeclaration(800 * WAN), "total_investment_required", "total_investment_fen"),
        (
            SpendDeclaration(800 * WAN, total_investment_fen=-5),
            "amount_negative",
            "total_investment_fen",
        ),
        (
            SpendDeclaration(
                800 * WAN, total_investment_fen=2000 * WAN, rate_ratio=Decimal("0.10")
            ),
            "rate_above_maximum",
            "rate_ratio",
        ),
    ],
)
def test_hubei_technical_upgrade_refusals(
    book: PolicyBook, declaration: SpendDeclaration, code: str, field: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        subsidy_amount(policy(book, "HB-TECH-UPGRADE"), declaration)
    assert (refused.value.code, refused.value.field) == (code, field)


@pytest.mark.parametrize("amount_fen", [0, 1, 60 * WAN, 100 * WAN])
def test_hubei_industrial_internet_node_up_to_100_wan(book: PolicyBook, amount_fen: int) -> None:
    decision = up_to_amount(policy(book, "HB-IIOT-NODE"), amount_fen)
    assert decision.amount_fen == amount_fen
    assert decision.explanation[0].code == "officer_amount"


@pytest.mark.parametrize(
    ("amount_fen", "code"), [(100 * WAN + 1, "amount_above_cap"), (-1, "amount_negative")]
)
def test_hubei_industrial_internet_node_refusals(
    book: PolicyBook, amount_fen: int, code: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        up_to_amount(policy(book, "HB-IIOT-NODE"), amount_fen)
    assert refused.value.code == code


def test_amount_rules_refuse_the_wrong_kind_of_policy(book: PolicyBook) -> None:
    with pytest.raises(RuleViolation) as refused:
        subsidy_amount(policy(book, "HB-IIOT-NODE"), SpendDeclaration(100 * WAN))
    assert refused.value.code == "policy_not_spend_based"
    with pytest.raises(RuleViolation) as refused:
        up_to_amount(policy(book, "HB-RD-PLATFORM"), 1)
    assert refused.value.code == "policy_not_up_to"
    with pytest.raises(RuleViolation) as refused:
        unit_count_amount(policy(book, "HB-XJR-NATIONAL"), 1)
    assert refused.value.code == "policy_not_per_unit"


def test_subsidy_policies_are_found_by_trigger(book: PolicyBook) -> None:
    found = book.policies_for(TriggerKind.SUBSIDY_PROJECT, HUBEI, date(2024, 1, 1))
    assert {p.trigger.project_kind for p in found} == {
        "rd_platform",
        "technical_upgrade",
        "industrial_internet_secondary_node",
    }
    assert all(set(p.trigger.holder_tiers) == {"specialised", "little_giant"} for p in found)
    assert book.policies_for(TriggerKind.SUBSIDY_PROJECT, GANSU, date(2024, 1, 1)) == []


# --- Gansu 规下转规上 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("on", "in_force"),
    [
        (date(2018, 11, 21), False),
        (date(2018, 11, 22), True),
        (date(2019, 12, 31), True),
        (date(2020, 12, 31), True),
        (date(2021, 1, 1), False),
        (date(2024, 6, 1), False),
    ],
)
def test_gansu_above_scale_award_is_in_force_2018_to_2020_only(
    book: PolicyBook, on: date, in_force: bool
) -> None:
    found = book.policies_for(TriggerKind.UNIT_COUNT, GANSU, on)
    assert [p.code for p in found] == (["GS-GUIXIA-ZHUAN-GUISHANG"] if in_force else [])


@pytest.mark.parametrize(
    ("units", "expected_fen"), [(0, 0), (1, 30 * WAN), (3, 90 * WAN), (17, 510 * WAN)]
)
def test_gansu_above_scale_award_per_net_new_enterprise(
    book: PolicyBook, units: int, expected_fen: int
) -> None:
    [award] = book.policies_for(TriggerKind.UNIT_COUNT, GANSU, date(2019, 12, 31))
    assert award.payee_kind == PayeeKind.CITY_GOVERNMENT
    assert award.trigger.unit == "net_new_above_scale_enterprise"
    decision = unit_count_amount(award, units)
    assert decision.amount_fen == expected_fen
    assert "551号" in decision.explanation[0].message_zh


def test_gansu_above_scale_award_refuses_negative_units(book: PolicyBook) -> None:
    [award] = book.policies_for(TriggerKind.UNIT_COUNT, GANSU, date(2019, 12, 31))
    with pytest.raises(RuleViolation) as refused:
        unit_count_amount(award, -2)
    assert (refused.value.code, refused.value.field) == ("amount_negative", "units")


@pytest.mark.parametrize(
    ("held", "allowed"),
    [
        ((), False),
        (("innovative",), False),
        (("specialised",), True),
        (("innovative", "little_giant"), True),
    ],
)
def test_hubei_project_support_is_for_specialised_enterprises(
    book: PolicyBook, held: tuple[str, ...], allowed: bool
) -> None:
    for code in ("HB-RD-PLATFORM", "HB-TECH-UPGRADE", "HB-IIOT-NODE"):
        if allowed:
            check_holder(policy(book, code), held)
        else:
            with pytest.raises(RuleViolation) as refused:
                check_holder(policy(book, code), held)
            assert refused.value.code == "holder_tier_required"


@pytest.mark.parametrize("rate", ["0.08", "0.10", "0.15", "0.2", "0.125"])
def test_rounding_agrees_with_the_kernel_money_module(rate: str) -> None:
    from sme_common import money
    from sme_funding.policies.domain import share_of_fen

    for amount_fen in (*range(0, 400), 1234567, 2000 * WAN + 5, 10**12 + 35):
        assert share_of_fen(amount_fen, Decimal(rate)) == money.share_of_fen(amount_fen, rate)
