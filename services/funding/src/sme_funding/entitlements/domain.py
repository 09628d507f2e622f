"""Entitlements (直达快享 / 免申即享, 甘工信发〔2023〕128号 (二十四)): what an award policy gives a
payee for one trigger, without any application. The pure rules: statuses and the transitions
between them, which credit flags block, and the trigger built from a certificate event.

A granted certificate creates, once, the entitlements its policies give (the policy engine,
``sme_funding.policies``, decides which and how much); the store keys each by its
``trigger_key``, so a replayed event never creates a second one.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

from sme_funding.policies.domain import CertificateTrigger, TriggerKind


class EntitlementStatus(enum.StrEnum):
    BLOCKED = "blocked"
    """A blocking credit flag is in force for the payee: held until it is lifted."""
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"
    IN_BATCH = "in_batch"
    PAID = "paid"
    FAILED = "failed"
    """The bank or treasury refused the payment; it returns to the next batch."""
    CANCELLED = "cancelled"
    NOT_PAYABLE = "not_payable"
    """Nothing to pay after the stacking rules (amount 0); kept so the officer sees why."""


S = EntitlementStatus
TRANSITIONS: dict[EntitlementStatus, frozenset[EntitlementStatus]] = {
    S.BLOCKED: frozenset({S.PENDING_APPROVAL, S.CANCELLED}),
    S.PENDING_APPROVAL: frozenset({S.BLOCKED, S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.IN_BATCH, S.CANCELLED}),
    S.IN_BATCH: frozenset({S.PAID, S.FAILED, S.APPROVED}),
    S.FAILED: frozenset({S.IN_BATCH, S.CANCELLED}),
    S.PAID: frozenset(),
    S.CANCELLED: frozenset(),
    S.NOT_PAYABLE: frozenset(),
}
"""Every allowed status change. Approval moves pending_approval → approved (cancelling an
approved one releases its budget); a payment batch takes approved or failed ones (in_batch), the
bank's result makes them paid or failed, a batch withdrawn before export puts them back to
approved."""

CANCELLABLE = frozenset({S.BLOCKED, S.PENDING_APPROVAL})
"""What an officer may cancel here (approved ones are cancelled through the approval module,
which releases the budget commitment)."""


def can_move(current: EntitlementStatus, target: EntitlementStatus) -> bool:
    return target in TRANSITIONS[current]


class CertificateStatus(enum.StrEnum):
    GRANTED = "granted"
    """In force (a renewal keeps it granted with a later ``expires_on``)."""
    REVOKED = "revoked"
    EXPIRED = "expired"


class TriggerStatus(enum.StrEnum):
    AWAITING_ENTERPRISE = "awaiting_enterprise"
    """The enterprise is not yet in funding's directory: its region (province, 市州) is unknown."""
    EVALUATED = "evaluated"


@dataclass(frozen=True)
class BlockingFlags:
    version: str
    kinds: frozenset[str]


@cache
def blocking_flags() -> BlockingFlags:
    """The credit flag kinds that hold an entitlement back (``data/blocking-flags.json``:
    seed 003 四 and 128号)."""
    raw = json.loads(
        resources.files("sme_funding.entitlements.data")
        .joinpath("blocking-flags.json")
        .read_text(encoding="utf-8")
    )
    return BlockingFlags(version=raw["version"], kinds=frozenset(raw["blocking_kinds"]))


def blocking(active_flags: Iterable[str]) -> list[str]:
    """The blocking kinds among the flags in force, sorted (empty: nothing blocks)."""
    kinds = blocking_flags().kinds
    return sorted({flag for flag in active_flags if flag in kinds})


def initial_status(amount_fen: int, blocking_kinds: list[str]) -> EntitlementStatus:
    """Nothing to pay is not payable whatever the flags; otherwise a blocking flag holds it."""
    if amount_fen == 0:
        return S.NOT_PAYABLE
    return S.BLOCKED if blocking_kinds else S.PENDING_APPROVAL


def province_of(region_code: str) -> str:
    """The province of a GB/T 2260 code (620102 → 620000)."""
    return f"{region_code[:2]}0000"


def certificate_trigger(
    *,
    kind: TriggerKind,
    certificate_id: str,
    uscc: str,
    tier: str,
    level: str,
    region_code: str,
    reporting_unit_code: str,
    occurred_on: date,
) -> CertificateTrigger:
    """The engine's trigger, placed by the enterprise's directory entry."""
    return CertificateTrigger(
        kind=kind,
        certificate_id=certificate_id,
        uscc=uscc,
        tier=tier,
        level=level,
        province_code=province_of(region_code),
        city_code=reporting_unit_code,
        occurred_on=occurred_on,
    )
