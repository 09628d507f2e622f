"""Derived ratios are computed once, never divide by zero, and shares are never negative."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sme_registry.facts.domain import YearlyFacts, derive_ratios

amounts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**15))
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6))


@st.composite
def facts(draw: st.DrawFn, year: int = 2025) -> YearlyFacts:
    revenue = draw(amounts)
    main = None if revenue is None else draw(st.one_of(st.none(), st.integers(0, revenue)))
    employees = draw(counts)
    rd_staff = None if employees is None else draw(st.one_of(st.none(), st.integers(0, employees)))
    return YearlyFacts(
        year=year,
        employees=employees,
        rd_staff=rd_staff,
        operating_revenue_fen=revenue,
        main_business_revenue_fen=main,
        rd_expense_fen=draw(amounts),
        total_assets_fen=draw(amounts),
        total_liabilities_fen=draw(amounts),
        net_profit_fen=draw(st.one_of(st.none(), st.integers(-(10**15), 10**15))),
    )


@given(facts(), st.one_of(st.none(), facts(year=2024)))
def test_ratios_never_divide_by_zero_and_shares_are_never_negative(
    current: YearlyFacts, previous: YearlyFacts | None
) -> None:
    ratios = derive_ratios(current, previous)
    for share in (
        ratios.debt_ratio,
        ratios.rd_expense_ratio,
        ratios.rd_staff_ratio,
        ratios.main_business_ratio,
    ):
        assert share is None or share >= 0
    if ratios.main_business_ratio is not None:
        assert ratios.main_business_ratio <= 1
    if ratios.rd_staff_ratio is not None:
        assert ratios.rd_staff_ratio <= 1
    # Growth and margin may be negative (a decline, a loss), but revenue cannot fall below zero.
    if ratios.revenue_growth_ratio is not None:
        assert ratios.revenue_growth_ratio >= -1
    for value in vars(ratios).values():
        assert value is None or value == value.quantize(Decimal("0.0001"))


def test_zero_denominators_give_no_ratio() -> None:
    empty = YearlyFacts(
        year=2025,
        employees=0,
        operating_revenue_fen=0,
        total_assets_fen=0,
        total_liabilities_fen=5,
        rd_expense_fen=1,
        net_profit_fen=-3,
    )
    ratios = derive_ratios(empty, YearlyFacts(year=2024, operating_revenue_fen=0))
    assert vars(ratios) == dict.fromkeys(vars(ratios))


def test_growth_needs_the_previous_year_exactly() -> None:
    current = YearlyFacts(year=2025, operating_revenue_fen=150)
    assert derive_ratios(
        current, YearlyFacts(year=2024, operating_revenue_fen=100)
    ).revenue_growth_ratio == Decimal("0.5000")
    assert (
        derive_ratios(
            current, YearlyFacts(year=2023, operating_revenue_fen=100)
        ).revenue_growth_ratio
        is None
    )
