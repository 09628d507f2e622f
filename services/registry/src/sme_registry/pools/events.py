"""The event the pools module publishes, built only through its contract."""

from __future__ import annotations

from datetime import date

from sme_common.contracts.events.registry.models import PoolChangedV1

POOL_CHANGED_V1 = PoolChangedV1.event_type


def pool_changed(
    uscc: str,
    *,
    entry_id: str,
    pool: str,
    change: str,
    on: date,
    reason: str | None,
    source: str,
    source_ref: str | None,
) -> PoolChangedV1:
    return PoolChangedV1.model_validate(
        {
            "uscc": uscc,
            "entry_id": entry_id,
            "pool": pool,
            "change": change,
            "on": on,
            "reason": reason,
            "source": source,
            "source_ref": source_ref,
        }
    )
