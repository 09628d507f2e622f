"""The ledger's pure rules: entries balance, and budget figures give balances that sum to zero."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sme_funding.ledger.domain import (
    Account,
    AllocationFigures,
    FundFigures,
    Line,
    UnbalancedEntry,
    check_balanced,
    differences,
    expected_balances,
    transfer,
)


@given(st.integers(min_value=-(10**14), max_value=10**14).filter(bool))
def test_a_transfer_is_balanced_and_one_sided(amount: int) -> None:
    lines = transfer(
        amount,
        debit=Account.AVAILABLE,
        debit_region="620100",
        credit=Account.UNALLOCATED,
        credit_region="620000",
    )
    check_balanced(lines)
    assert sum(x.debit_fen for x in lines) == abs(amount)


@pytest.mark.parametrize(
    "lines",
    [
        [Line(Account.PAID, "620100", debit_fen=1)],
        [
            Line(Account.PAID, "620100", debit_fen=2),
            Line(Account.COMMITTED, "620100", credit_fen=1),
        ],
        [
            Line(Account.PAID, "620100", debit_fen=1, credit_fen=1),
            Line(Account.COMMITTED, "620100"),
        ],
        [
            Line(Account.PAID, "620100", debit_fen=-1),
            Line(Account.COMMITTED, "620100", credit_fen=-1),
        ],
    ],
)
def test_an_unbalanced_or_malformed_entry_is_refused(lines: list[Line]) -> None:
    with pytest.raises(UnbalancedEntry):
        check_balanced(lines)


allocations = st.builds(
    lambda region, amount, committed, paid, raised, recovered: AllocationFigures(
        region, amount, committed, paid, raised, recovered
    ),
    st.sampled_from(["620100", "620200", "620000"]),
    *(st.integers(min_value=0, max_value=10**12) for _ in range(5)),
)


@given(
    st.integers(min_value=0, max_value=10**13),
    st.lists(allocations, max_size=5, unique_by=lambda a: a.region_code),
)
def test_the_expected_balances_always_sum_to_zero(
    total: int, allocated: list[AllocationFigures]
) -> None:
    balances = expected_balances(FundFigures("fund_x", "620000", total, tuple(allocated)))
    assert sum(balances.values()) == 0
    assert differences(balances, balances) == []


def test_a_ledger_that_lacks_an_account_differs_from_the_budget() -> None:
    fund = FundFigures("fund_x", "620000", 100, (AllocationFigures("620100", 60, 10, 5, 0, 0),))
    budget = expected_balances(fund)
    ledger = dict(budget)
    del ledger[("fund_x", "620100", Account.PAID)]
    [only] = differences(ledger, budget)
    assert (only.account, only.ledger_fen, only.budget_fen) == (Account.PAID, 0, 5)
