"""Money in integer fen, rounded half up (四舍五入), never through binary floats."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sme_common.money import fen_to_yuan, ratio, round_half_up, share_of_fen, yuan_to_fen


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("0.005", 1),
        ("0.004", 0),
        ("2.5", 250),
        ("300000", 30_000_000),
        ("-0.005", -1),
        ("12.345", 1235),
        (Decimal("0.015"), 2),
        (3, 300),
    ],
)
def test_yuan_to_fen_rounds_half_up(yuan: str | Decimal | int, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


def test_half_up_differs_from_pythons_bankers_rounding() -> None:
    assert round(Decimal("2.5")) == 2
    assert round_half_up(Decimal("2.5")) == Decimal(3)
    assert round_half_up(Decimal("0.125"), 2) == Decimal("0.13")


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        yuan_to_fen(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ratio(1.0, 3)  # type: ignore[arg-type]


def test_share_and_ratio() -> None:
    assert share_of_fen(12345, Decimal("0.5")) == 6173
    assert ratio(1, 3) == Decimal("0.3333")
    assert ratio(2, 3) == Decimal("0.6667")
    assert ratio(5, 0) is None


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fen_round_trips_through_yuan(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen)) == fen


@given(
    st.integers(min_value=0, max_value=10**12),
    st.decimals(min_value=0, max_value=1, places=4, allow_nan=False),
)
def test_a_share_never_exceeds_the_amount_nor_goes_negative(amount: int, rate: Decimal) -> None:
    assert 0 <= share_of_fen(amount, rate) <= amount
