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


class CertificateExpiredV1(EventData):
    """Three years passed without a successful re-review. Proposed by registry, its first consumer;
    the producer owns it from its first release."""

    model_config = ConfigDict(title="A certificate expired")
    event_type: ClassVar[str] = "certification.certificate.expired.v1"

    certificate_id: str
    uscc: Uscc
    tier: Tier
    expired_on: date


MODELS: tuple[type[EventData], ...] = (
    CertificateGrantedV1,
    CertificateRevokedV1,
    CertificateExpiredV1,
)
