"""The events complaints publishes on ``complaints.case`` (keyed by the USCC of the enterprise
concerned). Proposed by registry, their first consumer; complaints owns them from its first release.
"""

from __future__ import annotations

from datetime import date
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

    deadline: Literal["accept", "transfer", "handle"] | MISSING = MISSING
    """Which statutory deadline passed: acceptance review, transfer, or the handling result."""
    due_on: date | MISSING = MISSING
    """The last day the deadline allowed (pauses included)."""
    department_id: str | MISSING = MISSING
    """The department that held the case when the deadline passed (the accepting department for
    acceptance and transfer)."""
    escalated_to: str | MISSING = MISSING
    """The level above it, to which the breach is escalated (督办)."""


class CaseReceivedV1(_CaseEvent):
    """A complaint was filed (received, not yet reviewed); keyed by the enterprise concerned (the
    complainant's identity is not carried). 保障中小企业款项支付投诉处理暂行办法 (2021)."""

    model_config = ConfigDict(title="A complaint was received")
    event_type: ClassVar[str] = "complaints.case.received.v1"


class CaseNotAcceptedV1(_CaseEvent):
    """The accepting department decided not to accept the complaint (不予受理), with its reason."""

    model_config = ConfigDict(title="A complaint was not accepted")
    event_type: ClassVar[str] = "complaints.case.not-accepted.v1"

    reason_code: str | MISSING = MISSING


class CaseTransferredV1(_CaseEvent):
    """The accepted complaint was transferred to the handling department (转交处理投诉部门,
    国务院令第802号 第二十五条)."""

    model_config = ConfigDict(title="A complaint was transferred to a handling department")
    event_type: ClassVar[str] = "complaints.case.transferred.v1"

    department_id: str | MISSING = MISSING


class CaseReturnedV1(_CaseEvent):
    """The handling department returned the complaint (退单) to be routed again."""

    model_config = ConfigDict(title="A complaint was returned by its handling department")
    event_type: ClassVar[str] = "complaints.case.returned.v1"

    department_id: str | MISSING = MISSING
    """The department that returned it."""


class CaseClosedV1(_CaseEvent):
    """The complaint was closed without a payment outcome (办结), with its reason."""

    model_config = ConfigDict(title="A complaint was closed")
    event_type: ClassVar[str] = "complaints.case.closed.v1"

    reason_code: str | MISSING = MISSING


MODELS: tuple[type[EventData], ...] = (
    CaseAcceptedV1,
    CaseResolvedV1,
    CaseOverdueV1,
    CaseReceivedV1,
    CaseNotAcceptedV1,
    CaseTransferredV1,
    CaseReturnedV1,
    CaseClosedV1,
)
