from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_complaints.cases.schemas import RegionCode, Remark, Text200, Uscc, Version, WorkOrderNo
from sme_complaints.demands.domain import DemandAction, DemandSource, DemandStatus

Cursor = Annotated[str, StringConstraints(max_length=200)]
DepartmentId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")]
Answer = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class DemandTopic(BaseModel):
    code: str
    name: str
    name_en: str
    department_name: str


class DemandTopicList(BaseModel):
    version: str
    source: str
    items: list[DemandTopic]


class DemandCreate(BaseModel):
    """A demand for the ledger. ``region_code`` is where the enterprise is (属地): taken from the
    register when the enterprise is in it (a different one is refused), required otherwise."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "uscc": "91620102MA0000015R",
                    "enterprise_name": "兰州某某机械有限公司",
                    "topic_code": "power",
                    "title": "新建厂房用电增容",
                    "description": "新建厂房需增容至2000千伏安，申请已提交三个月未获答复。",
                    "source": "visit",
                }
            ]
        },
    )

    uscc: Uscc
    enterprise_name: Text200
    region_code: RegionCode | None = None
    topic_code: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")]
    title: Text200
    description: Remark
    source: DemandSource
    """How the demand was collected; the hotline's is ``hotline``, an enterprise's ``platform``."""
    work_order_no: WorkOrderNo | None = None
    """The hotline's (or a letter's) reference: one demand per channel and reference."""


class DemandDeadline(BaseModel):
    clock: Literal["assign", "answer"]
    started_on: date
    due_on: date | None
    """None when the working-day schedule of a year it spans is not known (see ``unknown``)."""
    unit: Literal["working_days", "days"]
    days: int
    unverified: bool
    """The seed gives no period: the length is a placeholder until the province publishes one."""
    source: str
    unknown: str | None = None


class DemandRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "dem_0123456789abcdef",
                    "source": "visit",
                    "work_order_no": None,
                    "uscc": "91620102MA0000015R",
                    "enterprise_name": "兰州某某机械有限公司",
                    "region_code": "620102",
                    "reporting_unit_code": "620100",
                    "topic_code": "power",
                    "title": "新建厂房用电增容",
                    "description": "新建厂房需增容至2000千伏安，申请已提交三个月未获答复。",
                    "status": "assigned",
                    "department_id": "gs-620100-power",
                    "recorded_on": "2026-11-26",
                    "assigned_on": "2026-11-26",
                    "answered_on": None,
                    "closed_on": None,
                    "reopen_count": 0,
                    "deadline": {
                        "clock": "answer",
                        "started_on": "2026-11-26",
                        "due_on": "2026-12-10",
                        "unit": "working_days",
                        "days": 10,
                        "unverified": True,
                        "source": "甘工信发〔2023〕128号 (二十二): no period given (placeholder)",
                    },
                    "breached_on": None,
                    "answer": None,
                    "confirmation": None,
                    "version": 2,
                    "created_at": "2026-11-26T02:00:00Z",
                    "updated_at": "2026-11-26T02:30:00Z",
                }
            ]
        }
    )

    id: str
    source: DemandSource
    work_order_no: str | None
    uscc: str
    enterprise_name: str
    region_code: str
    reporting_unit_code: str
    topic_code: str
    title: str
    description: str
    status: DemandStatus
    department_id: str | None
    recorded_on: date
    assigned_on: date | None
    answered_on: date | None
    closed_on: date | None
    reopen_count: int
    deadline: DemandDeadline | None
    breached_on: date | None
    answer: dict[str, object] | None
    confirmation: dict[str, object] | None
    version: int
    created_at: datetime
    updated_at: datetime


class DemandPage(BaseModel):
    items: list[DemandRead]
    next_cursor: str | None


class DemandFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: DemandStatus | None = None
    topic_code: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")] | None = None
    department_id: DepartmentId | None = None
    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class ConfirmedVia(enum.StrEnum):
    """How an officer heard the enterprise's confirmation (or its reasons to reopen)."""

    VISIT = "visit"
    PHONE = "phone"
    LETTER = "letter"


class DemandStepCommand(BaseModel):
    """``assign`` (optional ``department_id``: routed by topic and 市州 when left out), ``answer``
    (``answer``: the written answer), ``confirm`` and ``reopen`` (``reason``) by the enterprise —
    or by an officer of its region who names how the enterprise said so (``confirmed_via``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "answer", "version": 2, "answer": "已协调供电公司，12月底前完成增容。"}
            ]
        },
    )

    action: Literal[
        DemandAction.ASSIGN, DemandAction.ANSWER, DemandAction.CONFIRM, DemandAction.REOPEN
    ]
    version: Version = None
    department_id: DepartmentId | None = None
    answer: Answer | None = None
    reason: Remark | None = None
    remarks: Remark | None = None
    confirmed_via: ConfirmedVia | None = None


STEP_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "assign": ((), ("department_id", "remarks")),
    "answer": (("answer",), ("remarks",)),
    "confirm": ((), ("remarks", "confirmed_via")),
    "reopen": (("reason",), ("confirmed_via",)),
}
"""Per action: the fields it needs, and the fields it may take."""


class DemandStepRead(BaseModel):
    action: DemandAction
    from_status: DemandStatus
    to_status: DemandStatus
    department_id: str | None
    details: dict[str, object]
    version: int
    acted_on: date
    acted_at: datetime
    acted_by: str


class DemandStepPage(BaseModel):
    items: list[DemandStepRead]


class SummaryGroup(enum.StrEnum):
    REGION = "region"
    DEPARTMENT = "department"


class SummaryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_by: SummaryGroup = SummaryGroup.REGION


class SummaryRow(BaseModel):
    key: str
    """The 市州 (reporting unit) code, or the department id."""
    name: str
    open: int
    """Recorded, assigned or answered (not yet confirmed closed)."""
    overdue: int
    """Open with a running deadline whose last day is before ``as_of``."""
    closed: int


class DemandSummary(BaseModel):
    group_by: SummaryGroup
    as_of: date
    rows: list[SummaryRow]


class OverdueDemand(BaseModel):
    demand_id: str
    status: DemandStatus
    clock: str
    due_on: date
    breached_on: date | None
    uscc: str
    enterprise_name: str
    topic_code: str
    title: str


class OverdueDemandPage(BaseModel):
    department_id: str
    as_of: date
    items: list[OverdueDemand]
    next_cursor: str | None


class OverdueDemandQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Cursor | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
