"""SME size class under 工信部联企业〔2011〕300号, row by row at its boundaries (policy-facts.md §3).

The literal table below is copied from policy-facts.md §3 by hand, so that a wrong number in the data
file fails here; the boundary cases then check the half-open reading (floor included, ceiling
excluded) on every row.
"""

from __future__ import annotations

import pytest

from sme_registry.sizing.domain import WAN_FEN, SizeClass, SizeFigures, load_size_rules

R, S, A = "operating_revenue_wan", "employees", "total_assets_wan"
# row id: (representative GB/T 4754 code, SME ceiling, medium floor, small floor)
POLICY_TABLE = {
    "agriculture": ("A0111", {R: 20000}, {R: 500}, {R: 50}),
    "industry": ("C3411", {S: 1000, R: 40000}, {S: 300, R: 2000}, {S: 20, R: 300}),
    "construction": ("E4710", {R: 80000, A: 80000}, {R: 6000, A: 5000}, {R: 300, A: 300}),
    "wholesale": ("F5171", {S: 200, R: 40000}, {S: 20, R: 5000}, {S: 5, R: 1000}),
    "retail": ("F5211", {S: 300, R: 20000}, {S: 50, R: 500}, {S: 10, R: 100}),
    "transport": ("G5430", {S: 1000, R: 30000}, {S: 300, R: 3000}, {S: 20, R: 200}),
    "warehousing": ("G5951", {S: 200, R: 30000}, {S: 100, R: 1000}, {S: 20, R: 100}),
    "postal": ("G6010", {S: 1000, R: 30000}, {S: 300, R: 2000}, {S: 20, R: 100}),
    "accommodation": ("H6110", {S: 300, R: 10000}, {S: 100, R: 2000}, {S: 10, R: 100}),
    "catering": ("H6210", {S: 300, R: 10000}, {S: 100, R: 2000}, {S: 10, R: 100}),
    "information_transmission": ("I6311", {S: 2000, R: 100000}, {S: 100, R: 1000}, {S: 10, R: 100}),
    "software_it_services": ("I6510", {S: 300, R: 10000}, {S: 100, R: 1000}, {S: 10, R: 50}),
    "real_estate_development": (
        "K7010",
        {R: 200000, A: 10000},
        {R: 1000, A: 5000},
        {R: 100, A: 2000},
    ),
    "property_management": ("K7020", {S: 1000, R: 5000}, {S: 300, R: 1000}, {S: 100, R: 500}),
    "leasing_business_services": ("L7212", {S: 300, A: 120000}, {S: 100, A: 8000}, {S: 10, A: 100}),
    "other_unlisted": ("M7320", {S: 300}, {S: 100}, {S: 10}),
}
rules = load_size_rules()
HUGE = {S: 10**6, R: 10**8, A: 10**8}


def figures(values: dict[str, int | float]) -> SizeFigures:
    def fen(metric: str) -> int | None:
        return None if metric not in values else round(values[metric] * WAN_FEN)

    return SizeFigures(int(values[S]) if S in values else None, fen(R), fen(A))


def test_the_data_file_holds_the_policy_table() -> None:
    by_id = {row.id: row for row in rules.rows}
    assert set(by_id) == set(POLICY_TABLE)
    for row_id, (code, ceiling, medium, small) in POLICY_TABLE.items():
        row = by_id[row_id]
        assert (row.sme_ceiling, row.medium_floor, row.small_floor) == (ceiling, medium, small)
        assert rules.row_for(code)[0] is row, code


def cases() -> list[tuple[str, str, dict[str, float], SizeClass]]:
    out = []
    for row_id, (code, ceiling, medium, small) in POLICY_TABLE.items():
        metrics = set(ceiling) | set(medium) | set(small)

        def at(thresholds: dict[str, int], metrics: set[str] = metrics) -> dict[str, float]:
            return {m: thresholds.get(m, HUGE[m]) for m in metrics}

        out.append((row_id, code, at(ceiling), SizeClass.LARGE))
        out.append((row_id, code, at(medium), SizeClass.MEDIUM))
        out.append((row_id, code, at(small), SizeClass.SMALL))
        for metric in ceiling:
            below = {**at(ceiling), metric: ceiling[metric] - (1 if metric == S else 0.01)}
            out.append((row_id, code, below, SizeClass.MEDIUM))
        for metric in medium:
            below = {**at(medium), metric: medium[metric] - (1 if metric == S else 0.01)}
            out.append((row_id, code, below, SizeClass.SMALL))
        for metric in small:
            below = {**at(small), metric: small[metric] - (1 if metric == S else 0.01)}
            out.append((row_id, code, below, SizeClass.MICRO))
    return out


@pytest.mark.parametrize(
    ("row_id", "code", "values", "expected"),
    cases(),
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_boundaries_are_half_open(
    row_id: str, code: str, values: dict[str, float], expected: SizeClass
) -> None:
    decision = rules.classify(code, figures(values))
    assert decision.size_class is expected, decision.explanation
    assert decision.explanation["row"] == row_id


def test_the_sme_ceiling_is_met_by_either_figure() -> None:
    # 工业: 1200 staff but revenue below 40000万 → still an SME (以下 … 或 …).
    assert rules.classify("C3411", figures({S: 1200, R: 39999})).size_class is SizeClass.MEDIUM


def test_rail_transport_is_classified_as_other_unlisted() -> None:
    decision = rules.classify("G5310", figures({S: 50}))
    assert decision.explanation["row"] == "other_unlisted"
    assert decision.size_class is SizeClass.SMALL


@pytest.mark.parametrize("code", ["J6620", "S9210", "T9700"])
def test_finance_and_public_bodies_are_not_classified(code: str) -> None:
    decision = rules.classify(code, figures({S: 50, R: 100, A: 100}))
    assert decision.size_class is None
    assert decision.explanation["reason"] == "industry_not_classified"


def test_missing_figures_are_named_not_guessed() -> None:
    decision = rules.classify(
        "C3411", SizeFigures(employees=50, operating_revenue_fen=None, total_assets_fen=None)
    )
    assert decision.size_class is None
    assert decision.explanation["missing"] == ["operating_revenue_wan"]
