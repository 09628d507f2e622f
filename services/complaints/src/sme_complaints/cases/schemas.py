from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sme_common.contracts.base import USCC_PATTERN
from sme_complaints.cases.domain import CaseAction, CaseStatus

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Remark = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Uscc = Annotated[str, StringConstraints(pattern=USCC_PATTERN)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9-]{5,19}$")]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
WorkOrderNo = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Fen = Annotated[int, Field(ge=0, le=10**15)]
Version = Annotated[int | None, Field(default=None, ge=1, le=999_999_999)]


class SizeClass(enum.StrEnum):
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class RespondentType(enum.StrEnum):
    GOVERNMENT_BODY = "government_body"
    PUBLIC_INSTITUTION = "public_institution"
    LARGE_ENTERPRISE = "large_enterprise"


class ContractSubject(enum.StrEnum):
    GOODS = "goods"
    WORKS = "works"
    SERVICES = "services"


class Channel(enum.StrEnum):
    HOTLINE = "hotline"
    AGENCY = "agency"
    WEB = "web"
    COUNTER = "counter"


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    phone: Phone


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    uscc: Uscc
    name: Text200
    size_class: SizeClass
    """As the complainant declares it at the contract date (第三条)."""
    contact: Contact


class Respondent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Text200
    uscc: Uscc | None = None
    type: RespondentType
    region_code: RegionCode
    """Where the respondent is (GB/T 2260): the case's place (属地管理)."""


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_on: date
    subject: ContractSubject
    amount_fen: Annotated[int, Field(ge=1, le=10**15)]
    delivered_on: date | None = None
    accepted_on: date | None = None
    """The day the goods or works passed inspection or acceptance (检验/验收合格)."""
    agreed_payment_days: Annotated[int | None, Field(ge=0, le=3650)] = None
    agreed_rate: Annotated[Decimal | None, Field(ge=0, le=1, max_digits=12, decimal_places=10)] = (
        None
    )
    """An agreed late-interest rate a day, as a ratio (0.0005 = 万分之五)."""


class Proceeding(enum.StrEnum):
    COURT = "court"
    ARBITRATION = "arbitration"
    MEDIATION = "mediation"
    OTHER_ADMINISTRATIVE = "other_administrative"


class OtherProceedings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seized: bool
    """Whether a court, arbitration, mediation or other administrative body already has it."""
    bodies: list[Proceeding] = Field(default_factory=list, max_length=4)


class EvidenceKind(enum.StrEnum):
    CONTRACT = "contract"
    DELIVERY_NOTE = "delivery_note"
    ACCEPTANCE_CERTIFICATE = "acceptance_certificate"
    INVOICE = "invoice"
    SETTLEMENT_CONFIRMATION = "settlement_confirmation"
    CORRESPONDENCE = "correspondence"
    OTHER = "other"


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EvidenceKind
    title: Text200
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    pages: Annotated[int | None, Field(ge=1, le=10_000)] = None


class CaseCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category_code": "overdue_goods",
                    "work_order_no": "GS12345-20261126-0001",
                    "complainant": {
                        "uscc": "91620102MA0000015R",
                        "name": "兰州某某机械有限公司",
                        "size_class": "small",
                        "contact": {"name": "张三", "phone": "13800000000"},
                    },
                    "respondent": {
                        "name": "某某县住房和城乡建设局",
                        "type": "government_body",
                        "region_code": "620102",
                    },
                    "contract": {
                        "signed_on": "2025-07-01",
                        "subject": "goods",
                        "amount_fen": 120000000,
                        "delivered_on": "2025-08-01",
                    },
                    "amount_owed_fen": 60000000,
                    "other_proceedings": {"seized": False},
                    "evidence": [{"kind": "contract", "title": "采购合同"}],
                }
            ]
        },
    )

    category_code: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,64}$")]
    work_order_no: WorkOrderNo | None = None
    """The channel's own reference (the hotline's work-order number, required for the hotline):
    the same number with the same content is the same case."""
    complainant: Complainant
    respondent: Respondent
    contract: Contract
    amount_owed_fen: Annotated[int, Field(ge=1, le=10**15)]
    other_proceedings: OtherProceedings
    evidence: list[Evidence] = Field(min_length=1, max_length=50)
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None


CASE_EXAMPLE: dict[str, Any] = {
    "id": "case_0123456789abcdef",
    "channel": "hotline",
    "work_order_no": "GS12345-20261126-0001",
    "category_code": "overdue_goods",
    "complainant_uscc": "91620102MA0000015R",
    "complainant_name": "兰州某某机械有限公司",
    "complainant_size_class": "small",
    "respondent_name": "某某区住房和城乡建设局",
    "respondent_uscc": None,
    "respondent_type": "government_body",
    "region_code": "620102",
    "reporting_unit_code": "620100",
    "contract": {
        "signed_on": "2025-07-01",
        "subject": "goods",
        "amount_fen": 120000000,
        "delivered_on": "2025-08-01",
        "accepted_on": None,
        "agreed_payment_days": None,
        "agreed_rate": None,
    },
    "amount_owed_fen": 60000000,
    "other_proceedings": {"seized": False, "bodies": []},
    "evidence": [{"kind": "contract", "title": "采购合同", "sha256": None, "pages": None}],
    "description": None,
    "registry_facts": {
        "checked_at": "2026-09-23T02:00:00+00:00",
        "complainant": {
            "registered": True,
            "declared_size_class": "small",
            "sme_at_contract_date": "yes",
            "size_class_at_contract_date": "small",
            "size_class_basis_year": 2024,
            "sme_basis": "registry's size-class decision of 2025-04-30 (facts of 2024, "
            "thresholds gxb-2011-300, 工信部联企业〔2011〕300号), in force when the contract was "
            "signed on 2025-07-01: small (国务院令第802号 第三条)",
            "region_code": "620102",
            "operating_status": "operating",
            "founded_on": "2015-03-01",
            "founded_after_contract": False,
        },
        "respondent": {"declared_type": "government_body", "large": "not_applicable"},
    },
    "possible_duplicate_of": None,
    "status": "received",
    "department_id": None,
    "received_on": "2026-09-23",
    "accepted_on": None,
    "transferred_on": None,
    "department_received_on": None,
    "extended": False,
    "paused_since": None,
    "deadline": {
        "clock": "accept",
        "started_on": "2026-09-23",
        "due_on": "2026-10-14",
        "unit": "working_days",
        "days": 10,
        "paused_workdays": 0,
        "paused_days": 0,
        "source": "保障中小企业款项支付投诉处理暂行办法（工信部企业〔2021〕224号）",
        "unknown": None,
    },
    "breached_on": None,
    "outcome": None,
    "version": 1,
    "created_at": "2026-09-23T02:00:00Z",
    "updated_at": "2026-09-23T02:00:00Z",
}


class Deadline(BaseModel):
    clock: Literal["accept", "transfer", "handle"]
    started_on: date
    due_on: date | None
    """None when the working-day schedule of a year it spans is not known (see ``unknown``)."""
    unit: Literal["working_days", "days"]
    days: int
    paused_workdays: int
    paused_days: int
    source: str
    unknown: str | None = None


class ContractRead(BaseModel):
    """The contract as the complaint stated it (``Contract``)."""

    signed_on: date
    subject: ContractSubject
    amount_fen: int
    delivered_on: date | None
    accepted_on: date | None
    agreed_payment_days: int | None
    agreed_rate: Decimal | None
    """An agreed late-interest rate a day, as a ratio (0.0005 = 万分之五)."""


class OtherProceedingsRead(BaseModel):
    seized: bool
    bodies: list[Proceeding]


class EvidenceRead(BaseModel):
    kind: EvidenceKind
    title: str
    sha256: str | None
    pages: int | None


class CaseRead(BaseModel):
    """A case as every reader in scope sees it: the complainant's contact is not in it (保密,
    第二十五条); accepting and handling officers read it at ``/complainant-contact`` (audited)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CASE_EXAMPLE]})

    id: str
    channel: Channel
    work_order_no: str | None
    category_code: str
    complainant_uscc: str
    complainant_name: str
    complainant_size_class: SizeClass
    respondent_name: str
    respondent_uscc: str | None
    respondent_type: RespondentType
    region_code: str
    reporting_unit_code: str
    contract: ContractRead
    amount_owed_fen: int
    other_proceedings: OtherProceedingsRead
    evidence: list[EvidenceRead]
    description: str | None
    registry_facts: dict[str, Any]
    """What registry told us at intake, or that it was not known: the complainant's
    ``sme_at_contract_date`` (yes / no / unknown: its size class in force when the contract was
    signed, 国务院令第802号 第三条) with ``size_class_at_contract_date``,
    ``size_class_basis_year`` and ``sme_basis``; the respondent's ``large`` (yes / no / unknown /
    not_applicable, from its latest known class when it has a USCC) with ``large_basis``."""
    possible_duplicate_of: str | None
    status: CaseStatus
    department_id: str | None
    received_on: date
    accepted_on: date | None
    transferred_on: date | None
    department_received_on: date | None
    extended: bool
    paused_since: date | None
    deadline: Deadline | None
    breached_on: date | None
    outcome: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


class CasePage(BaseModel):
    items: list[CaseRead]
    next_cursor: str | None


class CaseFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class ContactRead(BaseModel):
    case_id: str
    name: str
    phone: str


class NotAcceptReason(enum.StrEnum):
    NOT_SME = "not_sme"
    NO_CONTRACT = "no_contract"
    RESPONDENT_OUT_OF_SCOPE = "respondent_out_of_scope"
    IN_OTHER_PROCEEDINGS = "in_other_proceedings"
    NOT_YET_DUE = "not_yet_due"
    INSUFFICIENT_MATERIAL = "insufficient_material"
    DUPLICATE = "duplicate"
    OTHER = "other"


class CloseReason(enum.StrEnum):
    WITHDRAWN = "withdrawn"
    PAID_BEFORE_HANDLING = "paid_before_handling"
    IN_OTHER_PROCEEDINGS = "in_other_proceedings"
    COMPLAINANT_UNREACHABLE = "complainant_unreachable"
    CLAIM_UNFOUNDED = "claim_unfounded"
    OTHER = "other"


class Outcome(enum.StrEnum):
    PAID_IN_FULL = "paid_in_full"
    PAID_IN_PART = "paid_in_part"
    REPAYMENT_AGREEMENT = "repayment_agreement"


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"
    UNREACHABLE = "unreachable"


class StepAction(enum.StrEnum):
    """The steps a caller takes (intake, ``file``, is ``POST /cases``)."""

    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    TRANSFER = "transfer"
    RECEIVE = "receive"
    RETURN = "return"
    EXTEND = "extend"
    PAUSE = "pause"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    VISIT = "visit"


class CaseStepCommand(BaseModel):
    """One step of the lifecycle. ``action`` says which; each action takes its own fields (a
    field another action takes is refused, 422 ``step_field_not_allowed``; one it needs and
    lacks, 422 ``step_field_missing``):

    - ``accept``; ``not_accept``: ``reason_code``, ``remarks``;
    - ``transfer``: ``department_id`` (default: the routing table's), ``remarks``;
    - ``receive``: ``received_on`` (default today); ``return`` (退单): ``reason``;
    - ``extend``: ``approved_by``, ``reason``; ``pause``: ``reason``; ``resume``;
    - ``resolve``: ``outcome``, ``amount_paid_fen``, ``written_result``, ``agreement_due_on``;
    - ``close``: ``close_reason_code``, ``remarks``; ``visit`` (回访): ``satisfaction``, ``remarks``.
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "accept", "version": 1},
                {"action": "return", "version": 3, "reason": "被投诉单位不属本部门主管"},
                {
                    "action": "resolve",
                    "version": 5,
                    "outcome": "paid_in_full",
                    "amount_paid_fen": 60000000,
                    "written_result": "被投诉人已全额支付",
                },
            ]
        },
    )

    action: StepAction
    version: Version
    """The version you read (or send it as If-Match)."""
    reason_code: NotAcceptReason | None = None
    close_reason_code: CloseReason | None = None
    remarks: Remark | None = None
    department_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{1,64}$")] | None = None
    """For ``transfer``: another department than the routing table's choice (after a return)."""
    received_on: date | None = None
    """For ``receive``: the day the department received the materials; its 30 days start then."""
    reason: Remark | None = None
    approved_by: Text200 | None = None
    """For ``extend``: the department head who approved it (经部门负责人批准)."""
    outcome: Outcome | None = None
    amount_paid_fen: Fen | None = None
    written_result: Remark | None = None
    """For ``resolve``: the written result sent to the complainant (书面答复)."""
    agreement_due_on: date | None = None
    """For a repayment agreement: the last day it sets."""
    satisfaction: Satisfaction | None = None


STEP_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accept": ((), ()),
    "not_accept": (("reason_code", "remarks"), ()),
    "transfer": ((), ("department_id", "remarks")),
    "receive": ((), ("received_on",)),
    "return": (("reason",), ()),
    "extend": (("approved_by", "reason"), ()),
    "pause": (("reason",), ()),
    "resume": ((), ()),
    "resolve": (("outcome", "amount_paid_fen", "written_result"), ("agreement_due_on",)),
    "close": (("close_reason_code", "remarks"), ()),
    "visit": (("satisfaction",), ("remarks",)),
}
"""Per action: the fields it needs, and the ones it may take besides."""


class StepRead(BaseModel):
    action: CaseAction
    from_status: CaseStatus
    to_status: CaseStatus
    department_id: str | None
    details: dict[str, Any]
    version: int
    acted_on: date
    acted_at: datetime
    acted_by: str


class StepPage(BaseModel):
    items: list[StepRead]


class OverdueItem(BaseModel):
    case_id: str
    status: CaseStatus
    clock: str
    due_on: date
    breached_on: date | None
    amount_owed_fen: int
    respondent_name: str


class OverduePage(BaseModel):
    department_id: str
    as_of: date
    items: list[OverdueItem]
    next_cursor: str | None


class OverdueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
