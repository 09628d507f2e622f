"""The events certification publishes on ``certification.certificate`` (keyed by USCC).

Proposed by registry, their first consumer (it moves tiers and pools on them); certification owns
them from its first release.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import MISSING, ConfigDict

from sme_common.contracts.base import EventData, Uscc

Tier = Literal["innovative", "specialised", "little_giant"]


class CertificateGrantedV1(EventData):
    """Recognition of 创新型 / 专精特新 / 小巨人; valid 3 years. Proposed by registry, its first
    consumer; the producer owns it from its first release."""

    model_config = ConfigDict(title="A certificate was granted")
    event_type: ClassVar[str] = "certification.certificate.granted.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    level: Literal["provincial", "national"]
    certificate_number: str | MISSING = MISSING
    """The number printed on the certificate."""
    issued_on: date
    expires_on: date


class CertificateRevokedV1(EventData):
    """Revocation for false declaration, violation, or failed or missing re-review. Proposed by
    registry, its first consumer; the producer owns it from its first release."""

    model_config = ConfigDict(title="A certificate was revoked")
    event_type: ClassVar[str] = "certification.certificate.revoked.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    revoked_on: date
    reason: str
    falsification: bool | MISSING = MISSING
    """True when revoked for false declaration (funding claws back what was paid)."""
    reason_code: Literal["false_declaration", "violation", "failed_re_review"] | MISSING = MISSING
    """The reason as a stable code (``reason`` is the text shown to people)."""
    banned_until: date | MISSING = MISSING
    """With a false declaration: the last day of the 3-year ban on reapplying for any title
    (工信厅企业函〔2026〕117号), for registry to record as a credit flag."""


class CertificateExpiredV1(EventData):
    """Three years passed without a successful re-review. Proposed by registry, its first consumer;
    the producer owns it from its first release."""

    model_config = ConfigDict(title="A certificate expired")
    event_type: ClassVar[str] = "certification.certificate.expired.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    expired_on: date


class CertificateReReviewDueV1(EventData):
    """The title expires soon: the enterprise must file its re-review (复核) by ``expires_on``.
    The certificate stays valid while the re-review is pending (policy-facts §1.6)."""

    model_config = ConfigDict(title="A certificate is due for re-review")
    event_type: ClassVar[str] = "certification.certificate.re-review-due.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    level: Literal["provincial", "national"]
    certificate_number: str
    expires_on: date
    """The last day the title is valid unless the re-review passes."""
    notified_on: date


class CertificateRenewedV1(EventData):
    """The re-review (复核) passed: the same certificate is valid 3 more years."""

    model_config = ConfigDict(title="A certificate was renewed by re-review")
    event_type: ClassVar[str] = "certification.certificate.renewed.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    level: Literal["provincial", "national"]
    certificate_number: str
    renewed_on: date
    expires_on: date
    """The new last valid day."""


MODELS: tuple[type[EventData], ...] = (
    CertificateGrantedV1,
    CertificateRevokedV1,
    CertificateExpiredV1,
    CertificateReReviewDueV1,
    CertificateRenewedV1,
)
