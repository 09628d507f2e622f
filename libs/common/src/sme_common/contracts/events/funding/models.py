"""The events funding publishes (keyed by USCC). Proposed by registry, their first consumer (the
support history on the profile); funding owns them from its first release."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import MISSING, ConfigDict, Field

from sme_common.contracts.base import EventData, Timestamp, Uscc


class EntitlementCreatedV1(EventData):
    """An award policy gave an enterprise (or another payee) an entitlement without any
    application (免申即享): status ``pending_approval``, ``blocked`` (a credit flag in force) or
    ``not_payable`` (nothing left after the stacking rules)."""

    model_config = ConfigDict(title="An entitlement was created")
    event_type: ClassVar[str] = "funding.entitlement.created.v1"

    entitlement_id: str
    uscc: Uscc
    policy_code: str
    """The award policy the entitlement is under."""
    amount_fen: int = Field(ge=0)
    status: Literal["pending_approval", "blocked", "not_payable"]
    certificate_id: str | None = None
    """The certificate whose grant or renewal gave it (null for other triggers)."""
    created_at: Timestamp


class EntitlementApprovedV1(EventData):
    """Support history of an enterprise. Proposed by registry, its first consumer; the producer
    owns it from its first release."""

    model_config = ConfigDict(title="An award or subsidy was approved")
    event_type: ClassVar[str] = "funding.entitlement.approved.v1"

    entitlement_id: str
    uscc: Uscc
    policy_code: str
    """The award policy the entitlement is under."""
    amount_fen: int = Field(ge=0)
    approved_at: Timestamp


class PaymentSettledV1(EventData):
    """Support history of an enterprise. Proposed by registry, its first consumer; the producer
    owns it from its first release."""

    model_config = ConfigDict(title="A payment reached the enterprise")
    event_type: ClassVar[str] = "funding.payment.settled.v1"

    payment_id: str
    entitlement_id: str | MISSING = MISSING
    uscc: Uscc
    amount_fen: int = Field(ge=0)
    settled_on: date


class ClawbackRaisedV1(EventData):
    """Raised when a title is revoked for false declaration. Proposed by registry, its first
    consumer; the producer owns it from its first release."""

    model_config = ConfigDict(title="Money is to be recovered from an enterprise")
    event_type: ClassVar[str] = "funding.clawback.raised.v1"

    clawback_id: str
    uscc: Uscc
    amount_fen: int = Field(ge=0)
    reason: str


class EntitlementPaidV1(EventData):
    """The paying bank or treasury reported an entitlement paid (支付成功) in a payment batch."""

    model_config = ConfigDict(title="An entitlement was paid")
    event_type: ClassVar[str] = "funding.entitlement.paid.v1"

    entitlement_id: str
    uscc: Uscc
    policy_code: str
    amount_fen: int = Field(ge=0)
    batch_id: str
    """The payment batch (支付批次) that paid it."""
    paid_on: date
    bank_reference: str


class EntitlementFailedV1(EventData):
    """The paying bank or treasury refused an entitlement's payment (支付失败); it returns to the
    next payment batch."""

    model_config = ConfigDict(title="An entitlement's payment failed")
    event_type: ClassVar[str] = "funding.entitlement.failed.v1"

    entitlement_id: str
    uscc: Uscc
    policy_code: str
    amount_fen: int = Field(ge=0)
    batch_id: str
    failed_on: date
    reason: str
    """The bank's reason (e.g. 账户已销户 / account closed)."""


class ClawbackRecoveredV1(EventData):
    """Money was received back (追回到账) against a recovery order raised by a clawback: the amount of
    this receipt, what the order has recovered in all and what is still outstanding."""

    model_config = ConfigDict(title="Money was recovered from an enterprise")
    event_type: ClassVar[str] = "funding.clawback.recovered.v1"

    clawback_id: str
    """The recovery order (``clawback_id`` of funding.clawback.raised.v1)."""
    uscc: Uscc
    amount_fen: int = Field(gt=0)
    """Received with this receipt."""
    recovered_fen: int = Field(ge=0)
    """Received against the order in all, this receipt included."""
    outstanding_fen: int = Field(ge=0)
    status: Literal["partially_recovered", "recovered"]
    received_on: date
    receipt_ref: str


MODELS: tuple[type[EventData], ...] = (
    EntitlementCreatedV1,
    EntitlementApprovedV1,
    PaymentSettledV1,
    ClawbackRaisedV1,
    EntitlementPaidV1,
    EntitlementFailedV1,
    ClawbackRecoveredV1,
)
