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


class _DemandEvent(EventData):
    """The shape the demand events share (诉求工作台账, seed 000 (二十二)): keyed by the enterprise
    whose demand it is."""

    demand_id: str
    uscc: Uscc
    topic_code: str
    """The demand's topic (land, power, staff, finance, approvals, other: ``GET /v1/demand-topics``)."""
    status: str
    """The demand's status after this change."""
    department_id: str | MISSING = MISSING
    """The department holding the demand, once assigned."""
    occurred_at: Timestamp


class DemandRecordedV1(_DemandEvent):
    """An enterprise's demand was recorded in the ledger (by a service commissioner, a visit, a
    letter, the hotline or the enterprise itself)."""

    model_config = ConfigDict(title="An enterprise demand was recorded")
    event_type: ClassVar[str] = "complaints.demand.recorded.v1"


class DemandAssignedV1(_DemandEvent):
    """The demand was assigned to the department that answers it (属地)."""

    model_config = ConfigDict(title="An enterprise demand was assigned to a department")
    event_type: ClassVar[str] = "complaints.demand.assigned.v1"


class DemandAnsweredV1(_DemandEvent):
    """The department answered the demand in writing; the enterprise confirms or reopens it."""

    model_config = ConfigDict(title="An enterprise demand was answered")
    event_type: ClassVar[str] = "complaints.demand.answered.v1"


class DemandReopenedV1(_DemandEvent):
    """The enterprise was not satisfied with the answer: back to the department (with a reason)."""

    model_config = ConfigDict(title="An enterprise demand was reopened")
    event_type: ClassVar[str] = "complaints.demand.reopened.v1"


class DemandClosedV1(_DemandEvent):
    """The enterprise confirmed the answer closed its demand (闭环)."""

    model_config = ConfigDict(title="An enterprise demand was closed")
    event_type: ClassVar[str] = "complaints.demand.closed.v1"


class DemandOverdueV1(_DemandEvent):
    """The demand passed a deadline of the ledger; escalated to the level above (督办)."""

    model_config = ConfigDict(title="An enterprise demand passed its deadline")
    event_type: ClassVar[str] = "complaints.demand.overdue.v1"

    deadline: Literal["assign", "answer"] | MISSING = MISSING
    """Which deadline passed: the assignment to a department, or the department's answer."""
    due_on: date | MISSING = MISSING
    """The last day the deadline allowed."""
    escalated_to: str | MISSING = MISSING
    """The level above the holder, to which the breach is escalated (督办)."""


MODELS: tuple[type[EventData], ...] = (
    CaseAcceptedV1,
    CaseResolvedV1,
    CaseOverdueV1,
    CaseReceivedV1,
    CaseNotAcceptedV1,
    CaseTransferredV1,
    CaseReturnedV1,
    CaseClosedV1,
    DemandRecordedV1,
    DemandAssignedV1,
    DemandAnsweredV1,
    DemandReopenedV1,
    DemandClosedV1,
    DemandOverdueV1,
)
