"""The events complaints publishes on ``complaints.case`` (keyed by the USCC of the enterprise
concerned). Proposed by registry, their first consumer; complaints owns them from its first release.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import MISSING, ConfigDict, Field

from sme_common.contracts.base import EventData, Timestamp, Uscc


class _CaseEvent(EventData):
    """The shape the three case events share."""

    case_id: str
    uscc: Uscc
    party_role: Literal["complainant", "respondent"]
    """The enterprise's side in the case (the complainant's identity itself is not carried)."""
    amount_owed_fen: int | None = Field(default=None, ge=0)
    status: str | MISSING = MISSING
    """The case's status after this change."""
    occurred_at: Timestamp


class CaseAcceptedV1(_CaseEvent):
    """Keyed by the enterprise concerned; the complainant's identity is confidential
    (保障中小企业款项支付条例). Proposed by registry, its first consumer; the producer owns it from
    its first release."""

    model_config = ConfigDict(title="A complaint was accepted")
    event_type: ClassVar[str] = "complaints.case.accepted.v1"


class CaseResolvedV1(_CaseEvent):
    """Keyed by the enterprise concerned; the complainant's identity is confidential
    (保障中小企业款项支付条例). Proposed by registry, its first consumer; the producer owns it from
    its first release."""

    model_config = ConfigDict(title="A complaint was resolved")
    event_type: ClassVar[str] = "complaints.case.resolved.v1"


class CaseOverdueV1(_CaseEvent):
    """Keyed by the enterprise concerned; the complainant's identity is confidential
    (保障中小企业款项支付条例). Proposed by registry, its first consumer; the producer owns it from
    its first release."""

    model_config = ConfigDict(title="A complaint passed a statutory deadline")
    event_type: ClassVar[str] = "complaints.case.overdue.v1"


MODELS: tuple[type[EventData], ...] = (CaseAcceptedV1, CaseResolvedV1, CaseOverdueV1)
