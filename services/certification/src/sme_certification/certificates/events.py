"""The events the certificates module publishes on ``certification.certificate`` (keyed by USCC),
built only through their contracts (``sme_common.contracts.events.certification.models``)."""

from __future__ import annotations

from datetime import date

from sme_common.contracts.base import EventData
from sme_common.contracts.events.certification.models import (
    CertificateExpiredV1,
    CertificateGrantedV1,
    CertificateRenewedV1,
    CertificateReReviewDueV1,
    CertificateRevokedV1,
)
from sme_common.events.envelope import CloudEvent
from sme_common.observability.tracing import request_id_var, traceparent_var

SOURCE = "/sme/certification"
CERTIFICATE_TOPIC = "certification.certificate"

# The text registry shows for a reason (the stable code travels as ``reason_code``).
REASON_TEXT = {
    "false_declaration": "虚假申报（false declaration）",
    "violation": "违法违规（violation）",
    "failed_re_review": "复核未通过或未提交复核（failed or missing re-review）",
}


def certificate_event(payload: EventData) -> CloudEvent:
    """An event about one enterprise's certificate, keyed by its USCC, carrying the request's
    trace."""
    return CloudEvent(
        type=payload.event_type,
        source=SOURCE,
        subject=payload.key,
        data=payload.to_event_data(),
        traceparent=traceparent_var.get(),
        correlationid=request_id_var.get(),
    )


def granted(
    *,
    certificate_id: str,
    uscc: str,
    tier: str,
    level: str,
    number: str,
    issued_on: date,
    expires_on: date,
) -> CertificateGrantedV1:
    return CertificateGrantedV1.model_validate(
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": tier,
            "level": level,
            "certificate_number": number,
            "issued_on": issued_on,
            "expires_on": expires_on,
        }
    )


def revoked(
    *,
    certificate_id: str,
    uscc: str,
    tier: str,
    revoked_on: date,
    reason_code: str,
    banned_until: date | None,
) -> CertificateRevokedV1:
    data: dict[str, object] = {
        "certificate_id": certificate_id,
        "uscc": uscc,
        "tier": tier,
        "revoked_on": revoked_on,
        "reason": REASON_TEXT[reason_code],
        "reason_code": reason_code,
        "falsification": reason_code == "false_declaration",
    }
    if banned_until is not None:
        data["banned_until"] = banned_until
    return CertificateRevokedV1.model_validate(data)


def expired(*, certificate_id: str, uscc: str, tier: str, expired_on: date) -> CertificateExpiredV1:
    return CertificateExpiredV1.model_validate(
        {"certificate_id": certificate_id, "uscc": uscc, "tier": tier, "expired_on": expired_on}
    )


def re_review_due(
    *,
    certificate_id: str,
    uscc: str,
    tier: str,
    level: str,
    number: str,
    expires_on: date,
    notified_on: date,
) -> CertificateReReviewDueV1:
    return CertificateReReviewDueV1.model_validate(
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": tier,
            "level": level,
            "certificate_number": number,
            "expires_on": expires_on,
            "notified_on": notified_on,
        }
    )


def renewed(
    *,
    certificate_id: str,
    uscc: str,
    tier: str,
    level: str,
    number: str,
    renewed_on: date,
    expires_on: date,
) -> CertificateRenewedV1:
    return CertificateRenewedV1.model_validate(
        {
            "certificate_id": certificate_id,
            "uscc": uscc,
            "tier": tier,
            "level": level,
            "certificate_number": number,
            "renewed_on": renewed_on,
            "expires_on": expires_on,
        }
    )
