"""The events the clawback module publishes on ``funding.clawback`` (keyed by USCC), built only
through their contracts."""

from __future__ import annotations

from sme_common.contracts.events.funding.models import ClawbackRaisedV1, ClawbackRecoveredV1
from sme_funding.clawback.models import RecoveryOrder, RecoveryReceipt
from sme_funding.entitlements.events import entitlement_event

CLAWBACK_TOPIC = "funding.clawback"
clawback_event = entitlement_event
"""Same envelope as the entitlement events: keyed by the USCC, carrying the trace."""


def raised(order: RecoveryOrder) -> ClawbackRaisedV1:
    return ClawbackRaisedV1.model_validate(
        {
            "clawback_id": order.id,
            "uscc": order.uscc,
            "amount_fen": order.amount_fen,
            "reason": order.reason,
        }
    )


def recovered(order: RecoveryOrder, receipt: RecoveryReceipt) -> ClawbackRecoveredV1:
    return ClawbackRecoveredV1.model_validate(
        {
            "clawback_id": order.id,
            "uscc": order.uscc,
            "amount_fen": receipt.amount_fen,
            "recovered_fen": order.recovered_fen,
            "outstanding_fen": order.amount_fen - order.recovered_fen,
            "status": order.status,
            "received_on": receipt.received_on,
            "receipt_ref": receipt.receipt_ref,
        }
    )
