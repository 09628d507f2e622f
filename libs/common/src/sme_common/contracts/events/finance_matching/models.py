"""The event finance-matching publishes on ``finance-matching.loan`` (keyed by USCC). Proposed by
registry, its first consumer (the financing history on the profile); finance-matching owns it from
its first release."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field

from sme_common.contracts.base import EventData, Timestamp, Uscc


class LoanReportedV1(EventData):
    """Financing history of an enterprise. Proposed by registry, its first consumer; the producer
    owns it from its first release."""

    model_config = ConfigDict(title="An institution reported on a financing need")
    event_type: ClassVar[str] = "finance-matching.loan.reported.v1"

    report_id: str
    uscc: Uscc
    institution_id: str
    outcome: Literal["contacted", "granted", "refused"]
    amount_fen: int | None = Field(default=None, ge=0)
    annual_rate: str | None = None
    """The annual rate as a decimal string."""
    term_months: int | None = None
    reported_at: Timestamp


MODELS: tuple[type[EventData], ...] = (LoanReportedV1,)
