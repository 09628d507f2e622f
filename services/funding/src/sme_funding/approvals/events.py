"""The event the approvals module publishes on ``funding.entitlement`` (keyed by USCC), built only
through its contract."""

from __future__ import annotations

from datetime import datetime

from sme_common.contracts.events.funding.models import EntitlementApprovedV1


def approved(
    *, entitlement_id: str, uscc: str, policy_code: str, amount_fen: int, approved_at: datetime
) -> EntitlementApprovedV1:
    return EntitlementApprovedV1.model_validate(
        {
            "entitlement_id": entitlement_id,
            "uscc": uscc,
            "policy_code": policy_code,
            "amount_fen": amount_fen,
            "approved_at": approved_at,
        }
    )
