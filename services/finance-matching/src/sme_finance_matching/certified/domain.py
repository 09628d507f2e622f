"""What a certificate event does to the certified population (认定企业名单): pure rules.

An enterprise is listed with its latest certificate. A grant of a new certificate replaces the one
held (an upgrade is ``tier_changed``, anything else while none is valid is ``added``); renewal
(复核通过) extends it; revocation and expiry end it. Events about a certificate that is not the
one held, and replays of what is already recorded, change nothing (``None``), so that replayed,
duplicated or reordered events leave the same state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum


class Status(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class ChangeKind(StrEnum):
    ADDED = "added"
    TIER_CHANGED = "tier_changed"
    RENEWED = "renewed"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Held:
    certificate_id: str
    tier: str
    level: str
    issued_on: date
    expires_on: date
    status: Status


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    state: Held
    previous_tier: str | None = None


def granted(current: Held | None, new: Held) -> Change | None:
    if current is None:
        return Change(ChangeKind.ADDED, new)
    if current.certificate_id == new.certificate_id:
        # A replay, or a grant arriving after its certificate already ended or was renewed.
        return None
    if current.status is Status.VALID and current.issued_on > new.issued_on:
        return None  # an older certificate announced late: the newer one stays
    if current.status is Status.VALID and current.tier != new.tier:
        return Change(ChangeKind.TIER_CHANGED, new, previous_tier=current.tier)
    if current.status is Status.VALID:
        return Change(ChangeKind.RENEWED, new)
    return Change(ChangeKind.ADDED, new)


def renewed(current: Held | None, certificate_id: str, expires_on: date) -> Change | None:
    if current is None or current.certificate_id != certificate_id:
        return None
    if current.status is not Status.VALID or current.expires_on >= expires_on:
        return None
    return Change(ChangeKind.RENEWED, replace(current, expires_on=expires_on))


def ended(current: Held | None, certificate_id: str, status: Status) -> Change | None:
    """Revoked or expired. A revocation overrides an expiry (the bank must hear it); nothing
    overrides a revocation."""
    if current is None or current.certificate_id != certificate_id:
        return None
    if current.status is Status.REVOKED or current.status is status:
        return None
    kind = ChangeKind.REVOKED if status is Status.REVOKED else ChangeKind.EXPIRED
    if kind is ChangeKind.EXPIRED and current.status is not Status.VALID:
        return None
    return Change(kind, replace(current, status=status))
