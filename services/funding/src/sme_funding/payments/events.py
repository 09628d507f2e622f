"""The events the payments module publishes, built only through their contracts
(``sme_common.contracts.events.funding.models``): ``funding.payment.settled.v1`` on
``funding.payment``, ``funding.entitlement.paid.v1`` and ``funding.entitlement.failed.v1`` on
``funding.entitlement`` (keyed by USCC: only for a payee that is an enterprise)."""

from __future__ import annotations

from datetime import date

from sme_common.contracts.events.funding.models import (
    EntitlementFailedV1,
    EntitlementPaidV1,
    PaymentSettledV1,
)
from sme_funding.entitlements.events import ENTITLEMENT_TOPIC, entitlement_event

PAYMENT_TOPIC = "funding.payment"
__all__ = ["ENTITLEMENT_TOPIC", "PAYMENT_TOPIC", "entitlement_event", "failed", "paid", "settled"]


def settled(
    *, line_id: str, entitlement_id: str, uscc: str, amount_fen: int, paid_on: date
) -> PaymentSettledV1:
    return PaymentSettledV1.model_validate(
        {
            "payment_id": line_id,
            "entitlement_id": entitlement_id,
            "uscc": uscc,
            "amount_fen": amount_fen,
            "settled_on": paid_on,
        }
    )


def paid(
    *,
    entitlement_id: str,
    uscc: str,
    policy_code: str,
    amount_fen: int,
    batch_id: str,
    paid_on: date,
    bank_reference: str,
) -> EntitlementPaidV1:
    return EntitlementPaidV1.model_validate(
        {
            "entitlement_id": entitlement_id,
            "uscc": uscc,
            "policy_code": policy_code,
            "amount_fen": amount_fen,
            "batch_id": batch_id,
            "paid_on": paid_on,
            "bank_reference": bank_reference,
        }
    )


def failed(
    *,
    entitlement_id: str,
    uscc: str,
    policy_code: str,
    amount_fen: int,
    batch_id: str,
    failed_on: date,
    reason: str,
) -> EntitlementFailedV1:
    return EntitlementFailedV1.model_validate(
        {
            "entitlement_id": entitlement_id,
            "uscc": uscc,
            "policy_code": policy_code,
            "amount_fen": amount_fen,
            "batch_id": batch_id,
            "failed_on": failed_on,
            "reason": reason,
        }
    )
