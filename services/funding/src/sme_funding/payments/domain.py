"""Payment batches (支付批次): the pure rules. A batch groups approved entitlements of one fund
for the paying bank or treasury, with control totals (笔数 / 金额合计) fixed when it is made; it is
sealed for export (nothing in it changes after that), then the bank's results are posted back line
by line (paid or failed, each once); a failed entitlement returns to the next batch.

Statuses: ``draft`` → ``sealed`` → ``results_posted`` (every line has a result, and the
reconciliation shows a difference) or ``reconciled`` (every line has a result and nothing
differs); a draft may be ``withdrawn`` (its entitlements go back to approved).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


class BatchStatus(enum.StrEnum):
    DRAFT = "draft"
    SEALED = "sealed"
    """Exported to the bank: its lines and totals never change again."""
    RESULTS_POSTED = "results_posted"
    """Every line has the bank's result, but the reconciliation shows a difference."""
    RECONCILED = "reconciled"
    """Every line has the bank's result and control totals, lines, results and ledger agree."""
    WITHDRAWN = "withdrawn"
    """A draft taken back before export: its entitlements are approved again."""


class LineStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    WITHDRAWN = "withdrawn"


LIVE_LINE_STATUSES = (LineStatus.PENDING.value, LineStatus.PAID.value)
"""A line in one of these holds its entitlement: at most one such line per entitlement (a unique
partial index), so no entitlement is in two open batches, nor paid twice."""

ACCEPTS_RESULTS = frozenset(
    {BatchStatus.SEALED, BatchStatus.RESULTS_POSTED, BatchStatus.RECONCILED}
)
"""Results are posted to an exported batch; to a settled one they can only repeat what it has."""


class Outcome(enum.StrEnum):
    PAID = "paid"
    FAILED = "failed"


@dataclass(frozen=True)
class Result:
    """The bank's result for one line, as compared for idempotency."""

    outcome: Outcome
    on: date | None
    """None in a posted failure that gave no day: any stored day matches it."""
    bank_reference: str | None
    failure_reason: str | None


def same_result(stored: Result, posted: Result) -> bool:
    """Whether a posted result repeats the stored one (then it is a no-op, else a conflict)."""
    if posted.on is None and posted.outcome is Outcome.FAILED:
        posted = Result(posted.outcome, stored.on, posted.bank_reference, posted.failure_reason)
    return stored == posted


@dataclass(frozen=True)
class Totals:
    count: int
    sum_fen: int


def totals(amounts: Iterable[int]) -> Totals:
    values = list(amounts)
    return Totals(count=len(values), sum_fen=sum(values))


@dataclass(frozen=True)
class LineFacts:
    """What the reconciliation compares for one line."""

    line_id: str
    entitlement_id: str
    amount_fen: int
    status: LineStatus
    entitlement_amount_fen: int
    ledger_paid_fen: int | None
    """What the ledger recorded as paid for this line's entitlement in this batch (None: nothing)."""


@dataclass(frozen=True)
class Difference:
    code: str
    message_en: str
    message_zh: str
    line_id: str | None = None
    expected: int | None = None
    actual: int | None = None


@dataclass(frozen=True)
class Reconciliation:
    control: Totals
    lines: Totals
    paid: Totals
    failed: Totals
    pending: Totals
    ledger: Totals
    differences: list[Difference] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.differences


def reconcile(
    control: Totals, lines: list[LineFacts], ledger_outside: list[tuple[str, int]]
) -> Reconciliation:
    """Control totals vs lines vs results vs ledger; every difference listed. ``ledger_outside``:
    payments the ledger recorded for this batch whose entitlement has no line in it."""
    diffs: list[Difference] = []
    line_totals = totals(line.amount_fen for line in lines)
    if line_totals.count != control.count:
        diffs.append(
            Difference(
                "control_count_mismatch",
                "The lines are not as many as the control count",
                "明细笔数与控制笔数不符",
                expected=control.count,
                actual=line_totals.count,
            )
        )
    if line_totals.sum_fen != control.sum_fen:
        diffs.append(
            Difference(
                "control_sum_mismatch",
                "The lines do not add up to the control sum",
                "明细金额合计与控制金额不符",
                expected=control.sum_fen,
                actual=line_totals.sum_fen,
            )
        )
    ledger_amounts: list[int] = []
    for line in lines:
        if line.amount_fen != line.entitlement_amount_fen:
            diffs.append(
                Difference(
                    "line_amount_differs_from_entitlement",
                    "The line's amount is not the entitlement's",
                    "明细金额与兑现事项金额不符",
                    line_id=line.line_id,
                    expected=line.entitlement_amount_fen,
                    actual=line.amount_fen,
                )
            )
        if line.ledger_paid_fen is not None:
            ledger_amounts.append(line.ledger_paid_fen)
        if line.status is LineStatus.PAID:
            if line.ledger_paid_fen is None:
                diffs.append(
                    Difference(
                        "paid_not_in_ledger",
                        "The bank paid the line but the ledger records no payment",
                        "银行已支付但账簿无支付记录",
                        line_id=line.line_id,
                        expected=line.amount_fen,
                        actual=0,
                    )
                )
            elif line.ledger_paid_fen != line.amount_fen:
                diffs.append(
                    Difference(
                        "ledger_amount_mismatch",
                        "The ledger's payment is not the line's amount",
                        "账簿支付金额与明细金额不符",
                        line_id=line.line_id,
                        expected=line.amount_fen,
                        actual=line.ledger_paid_fen,
                    )
                )
        elif line.ledger_paid_fen is not None:
            diffs.append(
                Difference(
                    "ledger_without_paid_result",
                    f"The ledger records a payment for a line that is {line.status.value}",
                    f"明细状态为 {line.status.value}，账簿却有支付记录",
                    line_id=line.line_id,
                    expected=0,
                    actual=line.ledger_paid_fen,
                )
            )
    for subject_ref, amount in ledger_outside:
        ledger_amounts.append(amount)
        diffs.append(
            Difference(
                "ledger_entry_outside_batch",
                f"The ledger records a payment of {subject_ref} in this batch without a line",
                f"账簿记录了本批次对 {subject_ref} 的支付，但批次中无此明细",
                expected=0,
                actual=amount,
            )
        )

    def of(status: LineStatus) -> Totals:
        return totals(line.amount_fen for line in lines if line.status is status)

    return Reconciliation(
        control=control,
        lines=line_totals,
        paid=of(LineStatus.PAID),
        failed=of(LineStatus.FAILED),
        pending=of(LineStatus.PENDING),
        ledger=totals(ledger_amounts),
        differences=diffs,
    )


def settled_status(reconciliation: Reconciliation) -> BatchStatus:
    """The status of a batch every line of which has a result."""
    return BatchStatus.RECONCILED if reconciliation.balanced else BatchStatus.RESULTS_POSTED
