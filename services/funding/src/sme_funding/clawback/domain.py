"""Clawback (追回): which revocations recover money, and the recovery order's statuses.

Policy basis. Seed 003 (Guizhou) orders a certificate revoked at once (立即撤销) when the enterprise
obtained it by false declaration (弄虚作假), and the awards it brought are to be recovered;
甘工信发〔2023〕128号 likewise makes 直达快享 awards conditional on truthful declarations, with
recovery of what was obtained by fraud. Only that ground recovers money: a title revoked for a
later violation or a failed re-review (复核未通过) ends from its revocation, and awards already
paid for the years it was held stand (nothing is raised); what is not yet paid is still cancelled
only for a false declaration (the other grounds leave the entitlements to the officers).
"""

from __future__ import annotations

import enum

FALSE_DECLARATION = "false_declaration"


class RecoveryStatus(enum.StrEnum):
    AWAITING_SETTLEMENT = "awaiting_settlement"
    """The entitlement is in a payment batch: whether money left is known only when the bank's
    result is posted (``service.after_settlement``)."""
    OPEN = "open"
    PARTIALLY_RECOVERED = "partially_recovered"
    RECOVERED = "recovered"
    WAIVED = "waived"
    CANCELLED = "cancelled"
    """The batch payment failed: nothing was paid, nothing to recover."""


RECEIVABLE = frozenset({RecoveryStatus.OPEN, RecoveryStatus.PARTIALLY_RECOVERED})
"""Statuses in which money received back may be recorded."""


def recovers(reason_code: str | None, falsification: bool | None) -> bool:
    """Whether a revocation recovers the awards its certificate caused: a false declaration
    (``reason_code`` false_declaration, or ``falsification`` true), and nothing else."""
    return reason_code == FALSE_DECLARATION or falsification is True


def status_after_receipt(amount_fen: int, recovered_fen: int) -> RecoveryStatus:
    """The order's status once ``recovered_fen`` of its ``amount_fen`` is received."""
    if recovered_fen >= amount_fen:
        return RecoveryStatus.RECOVERED
    return RecoveryStatus.PARTIALLY_RECOVERED if recovered_fen > 0 else RecoveryStatus.OPEN
