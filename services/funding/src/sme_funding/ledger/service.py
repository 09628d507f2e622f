"""The ledger: posting balanced entries (called by the budgets service inside its transaction),
reading balances and entries, and the check that every entry balances and every balance equals
the budget's figure (``python -m sme_funding ledger-check``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.pagination import PositionCursor, split_page
from sme_funding.budgets import repository as budgets
from sme_funding.ledger import domain, repository
from sme_funding.ledger.domain import AccountKey, EntryKind, Line
from sme_funding.ledger.models import JournalEntry, JournalLine
from sme_funding.ledger.schemas import (
    BalanceFilters,
    BalanceRead,
    BalancesRead,
    EntryFilters,
    EntryPage,
    EntryRead,
    JournalLineRead,
)

CURSOR = PositionCursor(member="e")
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9_.:/-]{1,200}$")


async def post(
    uow: UnitOfWork,
    *,
    kind: EntryKind,
    fund_id: str,
    province_code: str,
    operation_key: str,
    lines: Sequence[Line],
    memo: str,
    actor: str,
    booked_on: date | None = None,
    subject_ref: str | None = None,
) -> int:
    """Write one balanced entry in the caller's transaction; its id."""
    domain.check_balanced(lines)
    entry_id = await repository.insert_entry(
        uow.session,
        {
            "at": clock.now(),
            "booked_on": booked_on or clock.business_today(),
            "kind": kind.value,
            "fund_id": fund_id,
            "province_code": province_code,
            "subject_ref": subject_ref,
            "operation_key": operation_key,
            "memo": memo,
            "actor": actor,
        },
    )
    await repository.insert_lines(
        uow.session,
        [
            {
                "entry_id": entry_id,
                "fund_id": fund_id,
                "region_code": line.region_code,
                "account": line.account.value,
                "debit_fen": line.debit_fen,
                "credit_fen": line.credit_fen,
            }
            for line in lines
        ],
    )
    return entry_id


async def posted(uow: UnitOfWork, operation_key: str) -> bool:
    return await repository.entry_exists(uow.session, operation_key)


async def get_balances(
    database: Database, *, filters: BalanceFilters, actor: Principal
) -> BalancesRead:
    async with UnitOfWork(database) as uow:
        rows = await repository.balances(
            uow.session,
            actor.region_scope(),
            fund_id=filters.fund_id,
            region_code=filters.region_code,
            account=filters.account.value if filters.account else None,
        )
    items = [
        BalanceRead(
            fund_id=f,
            region_code=r,
            account=a,
            debit_fen=d,
            credit_fen=c,
            balance_fen=d - c,
        )
        for f, r, a, d, c in rows
    ]
    return BalancesRead(
        items=items,
        debit_fen=sum(i.debit_fen for i in items),
        credit_fen=sum(i.credit_fen for i in items),
    )


async def list_entries(database: Database, *, filters: EntryFilters, actor: Principal) -> EntryPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.find_entries(
            uow.session,
            actor.region_scope(),
            after=after,
            limit=filters.limit,
            fund_id=filters.fund_id,
            subject_ref=filters.subject_ref,
            kind=filters.kind.value if filters.kind else None,
        )
        page, last = split_page(rows, filters.limit)
        lines = await repository.lines_of(uow.session, [e.id for e in page])
        return _entry_page(page, last, lines)


def _entry_page(
    page: Sequence[JournalEntry], last: JournalEntry | None, lines: Sequence[JournalLine]
) -> EntryPage:
    by_entry: dict[int, list[JournalLineRead]] = {}
    for line in lines:
        by_entry.setdefault(line.entry_id, []).append(JournalLineRead.model_validate(line))
    return EntryPage(
        items=[
            EntryRead(
                id=e.id,
                at=e.at,
                booked_on=e.booked_on,
                kind=e.kind,
                fund_id=e.fund_id,
                subject_ref=e.subject_ref,
                memo=e.memo,
                actor=e.actor,
                lines=by_entry.get(e.id, []),
            )
            for e in page
        ],
        next_cursor=CURSOR.encode(last.id) if last is not None else None,
    )


@dataclass
class LedgerCheck:
    """What ``ledger-check`` found: the figures, and every difference (none: the ledger holds)."""

    entries_unbalanced: list[dict[str, int]] = field(default_factory=list)
    balance_differences: list[dict[str, object]] = field(default_factory=list)
    budget_differences: list[dict[str, object]] = field(default_factory=list)
    balances: list[dict[str, object]] = field(default_factory=list)
    debit_fen: int = 0
    credit_fen: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.entries_unbalanced
            or self.balance_differences
            or self.budget_differences
            or self.debit_fen != self.credit_fen
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "debit_fen": self.debit_fen,
            "credit_fen": self.credit_fen,
            "entries_unbalanced": self.entries_unbalanced,
            "balance_differences": self.balance_differences,
            "budget_differences": self.budget_differences,
            "balances": self.balances,
        }


async def check_ledger(session: AsyncSession) -> LedgerCheck:
    """Every entry balances; every account's balance is the figure the budget tables give; each
    allocation's running figures are the sums of its commitments."""
    report = LedgerCheck()
    report.entries_unbalanced = [
        {"entry_id": i, "debit_fen": d, "credit_fen": c, "lines": n}
        for i, d, c, n in await repository.unbalanced_entries(session)
    ]
    rows = await repository.balances(session, None)
    ledger: dict[AccountKey, int] = {}
    for f, r, a, d, c in rows:
        ledger[(f, r, a)] = d - c
        report.debit_fen += d
        report.credit_fen += c
    funds = await budgets.all_funds(session)
    allocations = await budgets.all_allocations(session)
    expected: dict[AccountKey, int] = {}
    for fund in funds:
        expected |= domain.expected_balances(
            domain.FundFigures(
                fund_id=fund.id,
                province_code=fund.province_code,
                total_fen=fund.total_fen,
                allocations=tuple(
                    domain.AllocationFigures(
                        region_code=a.region_code,
                        allocated_fen=a.amount_fen,
                        committed_fen=a.committed_fen,
                        paid_fen=a.paid_fen,
                        recovery_raised_fen=a.recovery_raised_fen,
                        recovered_fen=a.recovered_fen,
                    )
                    for a in allocations
                    if a.fund_id == fund.id
                ),
            )
        )
    report.balances = [
        {
            "fund_id": f,
            "region_code": r,
            "account": a,
            "balance_fen": v,
            "budget_fen": expected.get((f, r, a), 0),
        }
        for (f, r, a), v in sorted(ledger.items())
    ]
    report.balance_differences = [
        {
            "fund_id": d.fund_id,
            "region_code": d.region_code,
            "account": d.account,
            "ledger_fen": d.ledger_fen,
            "budget_fen": d.budget_fen,
        }
        for d in domain.differences(ledger, expected)
    ]
    sums = await budgets.commitment_sums(session)
    for allocation in allocations:
        held = (
            allocation.committed_fen,
            allocation.paid_fen,
            allocation.recovery_raised_fen,
            allocation.recovered_fen,
        )
        from_commitments = sums.get(allocation.id, (0, 0, 0, 0))
        if held != from_commitments:
            report.budget_differences.append(
                {
                    "allocation_id": allocation.id,
                    "allocation": list(held),
                    "commitments": list(from_commitments),
                }
            )
    return report


async def run_check(database: Database) -> LedgerCheck:
    async with UnitOfWork(database) as uow:
        return await check_ledger(uow.session)
