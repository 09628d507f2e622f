"""The event the flags module publishes, built only through its contract."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sme_common.contracts.events.registry.models import FlagsChangedV1

FLAGS_CHANGED_V1 = FlagsChangedV1.event_type


def flags_changed(
    uscc: str,
    *,
    flag_id: str,
    kind: str,
    change: str,
    started_on: date,
    ended_on: date | None,
    source: str,
    active_flags: Iterable[str],
) -> FlagsChangedV1:
    """``active_flags``: every kind in force after this change (sent sorted, once each)."""
    return FlagsChangedV1.model_validate(
        {
            "uscc": uscc,
            "flag_id": flag_id,
            "kind": kind,
            "change": change,
            "started_on": started_on,
            "ended_on": ended_on,
            "source": source,
            "active_flags": sorted(set(active_flags)),
        }
    )
