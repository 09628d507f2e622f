"""Money as integer fen (分), with half-up rounding (四舍五入).

Python's ``round()`` and Decimal's default context round half to even (banker's rounding), which is
not how Chinese finance rounds; every conversion here quantizes with ROUND_HALF_UP explicitly. Binary
floats never enter money arithmetic: they are refused.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100


def _decimal(value: Decimal | str | int) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise TypeError("money and ratios take Decimal, str or int, never float or bool")
    return value if isinstance(value, Decimal) else Decimal(value)


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    return _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def yuan_to_fen(value: Decimal | str | int) -> int:
    """Yuan → fen, rounding half up at the fen: "0.005" → 1, "-0.005" → -1."""
    return int(round_half_up(_decimal(value) * FEN_PER_YUAN))


def fen_to_yuan(fen: int) -> Decimal:
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("fen is an integer")
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def share_of_fen(amount_fen: int, rate: Decimal | str) -> int:
    """``rate`` of an amount, in whole fen, half up (e.g. a 50% subsidy of 12345 fen → 6173)."""
    return int(round_half_up(Decimal(amount_fen) * _decimal(rate)))


def ratio(
    numerator: Decimal | str | int, denominator: Decimal | str | int, places: int = 4
) -> Decimal | None:
    """numerator / denominator, half up; None when the denominator is zero (no ratio exists)."""
    den = _decimal(denominator)
    if den == 0:
        return None
    return round_half_up(_decimal(numerator) / den, places)
