"""Award and subsidy policies as data, and the pure rules that turn a trigger into entitlements.

This file fixes the *interface* the rest of funding is written against (entitlements, subsidy
projects, the consumer of certification's events). The policy-engine work fills in the bodies.

A policy (政策事项) names its document and article, a trigger, an amount rule, effective dates, a
province, a payee kind and the fund it is paid from. A stacking rule belongs to a *pair* of
policies (Gansu stacks its 50万 national 小巨人 award on its 30万 provincial 专精特新 award,
甘工信发〔2023〕75号 (九) "再奖励"; Guizhou pays the higher of its provincial and national 小巨人
awards, seed 003 就高), never to a province.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class PayeeKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    CITY_GOVERNMENT = "city_government"
    """A 市州 government (规下转规上 awards go to the city, seed 001)."""
    SERVICE_PLATFORM = "service_platform"
    GUARANTEE_AGENCY = "guarantee_agency"


class TriggerKind(enum.StrEnum):
    CERTIFICATE_GRANTED = "certificate_granted"
    """A title was granted (免申即享: no application)."""
    CERTIFICATE_RENEWED = "certificate_renewed"
    """A title passed its 3-year re-review (复核)."""
    SUBSIDY_PROJECT = "subsidy_project"
    """A declared project whose accepted spend the amount is computed from (技改, R&D platform …)."""
    UNIT_COUNT = "unit_count"
    """A count of units the payee achieved (规下转规上: net new above-scale enterprises)."""


class StackingKind(enum.StrEnum):
    STACK = "stack"
    """Both are paid in full."""
    HIGHEST_ONLY = "highest_only"
    """Paid once, at the higher amount (就高): the later one pays only what exceeds the earlier."""
    FIRST_TIME_ONLY = "first_time_only"
    """Whichever came first is paid; the other is not (for a policy paired with itself: once per
    enterprise, ever)."""


@dataclass(frozen=True)
class Citation:
    document: str
    """e.g. 甘工信发〔2023〕75号"""
    article: str
    """e.g. (九)"""
    unverified: bool = False


@dataclass(frozen=True)
class CertificateTrigger:
    """A certificate event, as funding knows it."""

    kind: TriggerKind  # CERTIFICATE_GRANTED or CERTIFICATE_RENEWED
    certificate_id: str
    uscc: str
    tier: str  # "innovative" | "specialized" | "little_giant" (sme_common contracts' Tier values)
    level: str  # "provincial" | "national"
    province_code: str  # 6-digit, e.g. "620000", from the enterprise's region
    city_code: str  # the enterprise's 市州 (reporting unit) code
    occurred_on: date  # issue date (granted) or renewal date (renewed)


@dataclass(frozen=True)
class PriorCertificate:
    certificate_id: str
    tier: str
    level: str
    issued_on: date


@dataclass(frozen=True)
class PriorEntitlement:
    entitlement_id: str
    policy_code: str
    amount_fen: int
    trigger_key: str
    cancelled: bool = False


@dataclass(frozen=True)
class AwardHistory:
    """What funding already knows of the payee: its earlier certificates (any status, the current
    one excluded) and its earlier entitlements (cancelled ones flagged)."""

    certificates: tuple[PriorCertificate, ...] = ()
    entitlements: tuple[PriorEntitlement, ...] = ()


@dataclass(frozen=True)
class ExplanationLine:
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class EntitlementProposal:
    """What a policy gives for one trigger: the entitlements service stores it once, keyed by
    ``trigger_key`` (unique), so a replayed event never creates a second one."""

    policy_code: str
    policy_version: str
    trigger_key: str
    """e.g. ``GS-ZJTX-PROV-FIRST:certificate:<certificate_id>``"""
    payee_kind: PayeeKind
    payee_id: str
    """The USCC for an enterprise; the region code for a city government …"""
    uscc: str | None
    region_code: str
    """The 市州 whose allocation pays it and whose officers see it."""
    fund_code: str
    amount_fen: int
    """0 when a stacking rule leaves nothing to pay (kept, with the explanation, so the officer
    sees why)."""
    full_amount_fen: int
    """What the policy alone would give, before stacking."""
    explanation: tuple[ExplanationLine, ...] = field(default=())


@dataclass(frozen=True)
class SpendDeclaration:
    """The accepted figures of a subsidy project."""

    eligible_spend_fen: int
    """R&D spend (3 years) or equipment spend, as the policy's amount rule names it."""
    total_investment_fen: int | None = None
    rate_ratio: Decimal | None = None
    """An officer's raised rate, within the policy's maximum (Hubei R&D platform: 10%, up to 20%)."""


@dataclass(frozen=True)
class AmountDecision:
    amount_fen: int
    explanation: tuple[ExplanationLine, ...]
