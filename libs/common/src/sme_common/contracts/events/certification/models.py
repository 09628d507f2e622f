"""The events certification publishes, keyed by USCC:

- on ``certification.certificate``: granted, revoked, expired. Proposed by registry, their first
  consumer (it moves tiers and pools on them); certification owns them from its first release.
- on ``certification.application``: an application was submitted, recommended by its 市州, or
  returned for correction, put into public notice (公示), or rejected (issue 8 item 8); a grant is
  announced as ``certification.certificate.granted.v1``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import MISSING, ConfigDict, Field

from sme_common.contracts.base import EventData, Timestamp, Uscc

Tier = Literal["innovative", "specialised", "little_giant"]
Level = Literal["provincial", "national"]
ApplicationKind = Literal["new", "re_review"]
RegionCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
ReviewStage = Literal["county_check", "city_recommendation", "provincial_review"]


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


class ApplicationSubmittedV1(EventData):
    """An enterprise's application for a title was filed in a batch (within its filing window), or
    filed again after a return for correction (``resubmission``)."""

    model_config = ConfigDict(title="A certification application was submitted")
    event_type: ClassVar[str] = "certification.application.submitted.v1"

    application_id: str
    uscc: Uscc
    batch_id: str
    tier: Tier
    level: Level
    kind: ApplicationKind
    """new (认定) or re_review (复核)."""
    year: int
    """The batch's year."""
    region_code: RegionCode
    """The enterprise's registration region (GB/T 2260) when it filed."""
    reporting_unit_code: RegionCode
    """Its 市州 (or 兰州新区, 620171)."""
    resubmission: bool
    """True when filed again after a return for correction."""
    submitted_at: Timestamp
    version: int = Field(ge=1)
    """The application's version after this change."""


class ApplicationRecommendedV1(EventData):
    """The 市州 recommended the application to the province (市州推荐), within the batch's cap for
    that 市州 where the province set one."""

    model_config = ConfigDict(title="A certification application was recommended by its 市州")
    event_type: ClassVar[str] = "certification.application.recommended.v1"

    application_id: str
    uscc: Uscc
    batch_id: str
    tier: Tier
    level: Level
    reporting_unit_code: RegionCode
    recommended_at: Timestamp
    version: int = Field(ge=1)


class ApplicationReturnedV1(EventData):
    """A reviewer returned the application to the enterprise for correction (退回补正), with
    remarks per field."""

    model_config = ConfigDict(title="A certification application was returned for correction")
    event_type: ClassVar[str] = "certification.application.returned.v1"

    application_id: str
    uscc: Uscc
    batch_id: str
    tier: Tier
    stage: ReviewStage
    """The review step that returned it."""
    remarks: dict[str, str]
    """What to correct, by field (the declared value's or document's name)."""
    returned_at: Timestamp
    version: int = Field(ge=1)


class ApplicationNoticeStartedV1(EventData):
    """The province put the application in a public notice (公示) of the enterprises it intends to
    grant a title; objections are taken until ``ends_on``. Never sent for a classified (涉密)
    application, which is decided without notice."""

    model_config = ConfigDict(title="A certification application went into public notice")
    event_type: ClassVar[str] = "certification.application.notice-started.v1"

    application_id: str
    uscc: Uscc
    batch_id: str
    tier: Tier
    level: Level
    notice_id: str
    starts_on: date
    ends_on: date
    """The notice's last day (objections are taken through it)."""
    length: int = Field(ge=1)
    unit: Literal["working_days", "calendar_days"]
    expert_score: Annotated[str, Field(pattern=r"^[0-9]{1,3}\.[0-9]{2}$")] | None = None
    """The mean of the experts' scores, as a decimal string with 2 places ("86.33")."""
    started_at: Timestamp
    version: int = Field(ge=1)


class ApplicationRejectedV1(EventData):
    """The province decided not to grant the title (不予认定), with its reasons by field; or an
    objection raised during the notice was upheld (``by_objection``)."""

    model_config = ConfigDict(title="A certification application was rejected")
    event_type: ClassVar[str] = "certification.application.rejected.v1"

    application_id: str
    uscc: Uscc
    batch_id: str
    tier: Tier
    level: Level
    reasons: dict[str, str]
    by_objection: str | None = None
    """The upheld objection's id, when that is what rejected it."""
    rejected_at: Timestamp
    version: int = Field(ge=1)


MODELS: tuple[type[EventData], ...] = (
    CertificateGrantedV1,
    CertificateRevokedV1,
    CertificateExpiredV1,
    CertificateReReviewDueV1,
    CertificateRenewedV1,
    ApplicationSubmittedV1,
    ApplicationRecommendedV1,
    ApplicationReturnedV1,
    ApplicationNoticeStartedV1,
    ApplicationRejectedV1,
)
