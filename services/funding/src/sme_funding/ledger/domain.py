"""The ledger's rules as plain values: the chart of accounts and the balance of an entry.

Double-entry (复式记账) over stage accounts kept per fund and region (docs/funding.md, "Ledger").
Every budget operation moves an amount from one stage to the next; an entry's debits equal its
credits, so the balances of all accounts always sum to zero.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class Account(enum.StrEnum):
    """The chart of accounts; each is kept per (fund, region). Debit-normal unless noted."""

    APPROPRIATION = "budget:appropriation"
    """Credit-normal: the fund's total as granted (预算下达), at the fund's province."""
    UNALLOCATED = "budget:unallocated"
    """The part of the fund's total not yet allocated to a region, at the fund's province."""
    AVAILABLE = "budget:available"
    """Allocated to the region and not committed."""
    COMMITTED = "budget:committed"
    """Committed to an approved subject (an entitlement) and not yet paid."""
    PAID = "paid"
    """Paid out to the payee (cumulative)."""
    RECEIVABLE_RECOVERY = "receivable:recovery"
    """Recovery orders raised (追回) and not yet recovered."""
    CLAWBACK_CLAIMED = "clawback:claimed"
    """Credit-normal: the total of recovery orders raised (the counterpart of the receivable)."""
    RECOVERED = "recovered"
    """Money recovered from payees (cumulative)."""


class EntryKind(enum.StrEnum):
    FUND_CREATED = "fund_created"
    ALLOCATION_CHANGED = "allocation_changed"
    COMMITTED = "committed"
    RELEASED = "released"
    PAID = "paid"
    RECOVERY_RAISED = "recovery_raised"
    RECOVERED = "recovered"


class UnbalancedEntry(ValueError):
    """An entry whose debits and credits differ: a programming error, never caller input."""


@dataclass(frozen=True)
class Line:
    account: Account
    region_code: str
    debit_fen: int = 0
    credit_fen: int = 0


def transfer(
    amount_fen: int, *, debit: Account, debit_region: str, credit: Account, credit_region: str
) -> tuple[Line, Line]:
    """Move ``amount_fen`` (may be negative: the move reversed) from ``credit`` to ``debit``."""
    if amount_fen >= 0:
        return (
            Line(debit, debit_region, debit_fen=amount_fen),
            Line(credit, credit_region, credit_fen=amount_fen),
        )
    return (
        Line(debit, debit_region, credit_fen=-amount_fen),
        Line(credit, credit_region, debit_fen=-amount_fen),
    )


def check_balanced(lines: Sequence[Line]) -> None:
    """At least two lines, each one-sided and not negative, debits equal to credits."""
    if len(lines) < 2:
        raise UnbalancedEntry("an entry has at least two lines")
    for line in lines:
        if (
            line.debit_fen < 0
            or line.credit_fen < 0
            or (line.debit_fen > 0) == (line.credit_fen > 0)
        ):
            raise UnbalancedEntry(f"line {line} must be one-sided and positive")
    debit = sum(line.debit_fen for line in lines)
    credit = sum(line.credit_fen for line in lines)
    if debit != credit:
        raise UnbalancedEntry(f"debits {debit} differ from credits {credit}")


@dataclass(frozen=True)
class AllocationFigures:
    """What the budget tables say of one allocation (fen)."""

    region_code: str
    allocated_fen: int
    committed_fen: int
    paid_fen: int
    recovery_raised_fen: int
    recovered_fen: int


@dataclass(frozen=True)
class FundFigures:
    fund_id: str
    province_code: str
    total_fen: int
    allocations: tuple[AllocationFigures, ...]


AccountKey = tuple[str, str, str]
"""(fund_id, region_code, account)"""


def expected_balances(fund: FundFigures) -> dict[AccountKey, int]:
    """The balance (debit minus credit) each account must have, from the budget figures."""
    allocated = sum(a.allocated_fen for a in fund.allocations)
    balances: dict[AccountKey, int] = {
        (fund.fund_id, fund.province_code, Account.APPROPRIATION): -fund.total_fen,
        (fund.fund_id, fund.province_code, Account.UNALLOCATED): fund.total_fen - allocated,
    }
    for a in fund.allocations:
        for account, value in (
            (Account.AVAILABLE, a.allocated_fen - a.committed_fen),
            (Account.COMMITTED, a.committed_fen - a.paid_fen),
            (Account.PAID, a.paid_fen),
            (Account.RECEIVABLE_RECOVERY, a.recovery_raised_fen - a.recovered_fen),
            (Account.CLAWBACK_CLAIMED, -a.recovery_raised_fen),
            (Account.RECOVERED, a.recovered_fen),
        ):
            balances[(fund.fund_id, a.region_code, account)] = value
    return balances


@dataclass(frozen=True)
class BalanceDifference:
    fund_id: str
    region_code: str
    account: str
    ledger_fen: int
    budget_fen: int


def differences(
    ledger: Mapping[AccountKey, int], budget: Mapping[AccountKey, int]
) -> list[BalanceDifference]:
    """Every account whose ledger balance is not the budget's figure (a missing one counts 0)."""
    return [
        BalanceDifference(key[0], key[1], key[2], ledger.get(key, 0), budget.get(key, 0))
        for key in sorted(set(ledger) | set(budget))
        if ledger.get(key, 0) != budget.get(key, 0)
    ]
