"""The review chain of an application as a state machine (pure: no FastAPI, no SQLAlchemy).

    draft ──submit (within the window)──► submitted
    submitted ──approve_county_check (县区预审)──► county_checked
    county_checked ──recommend (市州推荐, within the batch's cap)──► recommended
    recommended ──approve_provincial_review (省级审核)──► provincially_reviewed
    submitted | county_checked | recommended ──return (退回补正, remarks per field)──► returned
    returned ──submit (corrected)──► submitted

After the provincial review (experts/, notices/, decisions/):

    provincially_reviewed ──assign_experts (省级组织专家评审)──► under_expert_review
    under_expert_review ──(the last assigned expert scored)──► expert_scored
    expert_scored ──start_notice (公示; never for a classified 涉密 application)──► under_notice
    under_notice ──objection upheld──► rejected
    under_notice (ended, no open objection) ──grant──► granted   (the certificate is made)
    expert_scored (classified: reviewed without notice) ──grant──► granted
    expert_scored | under_notice (ended, no open objection) ──reject (reasons)──► rejected

Who acts (docs/architecture.md, "Access"): the county officer of the enterprise's county does the
pre-check, the officer of its 市州 recommends, the province reviews. An enterprise registered at 市州
level (兰州新区 620171 has no county) is pre-checked by its 市州. A return is made at the current step
by its own reviewer or by any reviewer above it (the 市州 or the province may send back what is
still before the county). Region is not decided here: the service reads the application within the
officer's region (a 404 outside it).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sme_common.rules import RuleViolation


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"  # 填报中: built, not yet filed
    SUBMITTED = "submitted"  # 已提交: waiting for the county pre-check
    COUNTY_CHECKED = "county_checked"  # 县区预审通过: waiting for the 市州 recommendation
    RECOMMENDED = "recommended"  # 市州已推荐: waiting for the provincial review
    PROVINCIALLY_REVIEWED = "provincially_reviewed"  # 省级审核通过: expert scoring next
    RETURNED = "returned"  # 退回补正: the applicant corrects and submits again
    UNDER_EXPERT_REVIEW = "under_expert_review"  # 专家评审中: experts assigned, not all scored
    EXPERT_SCORED = "expert_scored"  # 专家评审完成: the mean score is kept
    UNDER_NOTICE = "under_notice"  # 公示中
    GRANTED = "granted"  # 认定: a certificate was granted
    REJECTED = "rejected"  # 不予认定 (with reasons)


class ReviewStage(enum.StrEnum):
    COUNTY_CHECK = "county_check"
    CITY_RECOMMENDATION = "city_recommendation"
    PROVINCIAL_REVIEW = "provincial_review"


class ReviewAction(enum.StrEnum):
    APPROVE_COUNTY_CHECK = "approve_county_check"
    RECOMMEND = "recommend"
    APPROVE_PROVINCIAL_REVIEW = "approve_provincial_review"
    RETURN = "return"


class ReviewerRole(enum.IntEnum):
    """The officer roles of the chain, by rank (a higher rank may return what is below it)."""

    COUNTY = 0
    CITY = 1
    PROVINCE = 2


STAGE_OF: Mapping[ApplicationStatus, ReviewStage] = {
    ApplicationStatus.SUBMITTED: ReviewStage.COUNTY_CHECK,
    ApplicationStatus.COUNTY_CHECKED: ReviewStage.CITY_RECOMMENDATION,
    ApplicationStatus.RECOMMENDED: ReviewStage.PROVINCIAL_REVIEW,
}
STAGE_REVIEWER: Mapping[ReviewStage, ReviewerRole] = {
    ReviewStage.COUNTY_CHECK: ReviewerRole.COUNTY,
    ReviewStage.CITY_RECOMMENDATION: ReviewerRole.CITY,
    ReviewStage.PROVINCIAL_REVIEW: ReviewerRole.PROVINCE,
}
FORWARD: Mapping[ReviewAction, tuple[ReviewStage, ApplicationStatus]] = {
    ReviewAction.APPROVE_COUNTY_CHECK: (ReviewStage.COUNTY_CHECK, ApplicationStatus.COUNTY_CHECKED),
    ReviewAction.RECOMMEND: (ReviewStage.CITY_RECOMMENDATION, ApplicationStatus.RECOMMENDED),
    ReviewAction.APPROVE_PROVINCIAL_REVIEW: (
        ReviewStage.PROVINCIAL_REVIEW,
        ApplicationStatus.PROVINCIALLY_REVIEWED,
    ),
}
RECOMMENDED_STATUSES = frozenset(
    {
        ApplicationStatus.RECOMMENDED,
        ApplicationStatus.PROVINCIALLY_REVIEWED,
        ApplicationStatus.UNDER_EXPERT_REVIEW,
        ApplicationStatus.EXPERT_SCORED,
        ApplicationStatus.UNDER_NOTICE,
        ApplicationStatus.GRANTED,
        ApplicationStatus.REJECTED,
    }
)
"""Statuses that hold one of the 市州's recommendations in the batch (a return frees it; a
decision does not: the place was used)."""
FINAL_STATUSES = frozenset({ApplicationStatus.GRANTED, ApplicationStatus.REJECTED})
CLASSIFIABLE_STATUSES = (
    frozenset(ApplicationStatus) - FINAL_STATUSES - {ApplicationStatus.UNDER_NOTICE}
)
"""The 涉密 mark is set or cleared before the notice: once an application is in a public notice
(or decided) the mark would come too late to keep it out of public lists."""
EDITABLE_STATUSES = frozenset({ApplicationStatus.DRAFT, ApplicationStatus.RETURNED})
SUBMITTABLE_STATUSES = EDITABLE_STATUSES


class TransitionNotAllowed(Exception):
    """The action does not apply to the application's status (answered 409)."""

    def __init__(self, status: ApplicationStatus, action: str) -> None:
        super().__init__(f"{action} is not possible on a {status} application")
        self.code = "transition_not_allowed"
        self.detail = f"{action} is not possible on an application that is {status}"
        self.detail_zh = f"申请当前状态为“{status}”，不能执行“{action}”"


class StageForbidden(Exception):
    """The caller's role does not act at this step (answered 403)."""

    def __init__(self, stage: ReviewStage, action: str) -> None:
        super().__init__(f"{action} at {stage} is not for this role")
        self.code = "review_role_forbidden"
        self.detail = f"Your role does not {action} at the {stage} step"
        self.detail_zh = f"您的角色不能在“{stage}”环节执行“{action}”"


@dataclass(frozen=True, slots=True)
class Decision:
    stage: ReviewStage
    to_status: ApplicationStatus


def decide(
    status: ApplicationStatus,
    action: ReviewAction,
    role: ReviewerRole,
    *,
    registered_at_city_level: bool,
    remarks: Mapping[str, str],
) -> Decision:
    """Where ``action`` by ``role`` takes an application in ``status``; refuses what the chain does
    not allow (``TransitionNotAllowed``, ``StageForbidden``, or a ``RuleViolation`` for a return
    without remarks)."""
    stage = STAGE_OF.get(status)
    if stage is None:
        raise TransitionNotAllowed(status, action)
    if action is ReviewAction.RETURN:
        if role < STAGE_REVIEWER[stage]:
            raise StageForbidden(stage, action)
        if not remarks:
            raise RuleViolation(
                "remarks_required",
                "Say what to correct: remarks by field",
                "退回补正须逐项说明需修改的内容",
                field="remarks",
            )
        return Decision(stage, ApplicationStatus.RETURNED)
    action_stage, to_status = FORWARD[action]
    if action_stage is not stage:
        raise TransitionNotAllowed(status, action)
    reviewer = STAGE_REVIEWER[stage]
    city_does_county_check = (
        stage is ReviewStage.COUNTY_CHECK and registered_at_city_level and role is ReviewerRole.CITY
    )
    if role is not reviewer and not city_does_county_check:
        raise StageForbidden(stage, action)
    return Decision(stage, to_status)


def check_submittable(status: ApplicationStatus) -> bool:
    """Whether the applicant may submit now; True when it is a resubmission after a return."""
    if status not in SUBMITTABLE_STATUSES:
        raise TransitionNotAllowed(status, "submit")
    return status is ApplicationStatus.RETURNED


def check_editable(status: ApplicationStatus) -> None:
    """Declared values and evidence change only before filing or while returned for correction
    (nobody edits what a reviewer is deciding on)."""
    if status not in EDITABLE_STATUSES:
        raise TransitionNotAllowed(status, "edit")


class FinalAction(enum.StrEnum):
    GRANT = "grant"  # 认定
    REJECT = "reject"  # 不予认定


class DecisionHeld(Exception):
    """The decision must wait: the notice is running, or an objection is open (answered 409)."""

    def __init__(self, code: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_zh = code, detail, detail_zh


@dataclass(frozen=True, slots=True)
class NoticeState:
    """Where the application's public notice stands on the day of the decision."""

    ended: bool
    open_objections: int


def check_assignable(status: ApplicationStatus) -> None:
    """Experts are assigned once, after the provincial review."""
    if status is not ApplicationStatus.PROVINCIALLY_REVIEWED:
        raise TransitionNotAllowed(status, "assign_experts")


def check_noticeable(status: ApplicationStatus, *, classified: bool) -> None:
    """Only an expert-scored application that is not classified goes into a public notice (seed
    003 六(一): “拟认定的企业（涉密企业除外）全部向社会公示”)."""
    if status is not ApplicationStatus.EXPERT_SCORED:
        raise TransitionNotAllowed(status, "start_notice")
    if classified:
        raise RuleViolation(
            "classified_not_noticed",
            "A classified (涉密) application is decided without a public notice",
            "涉密企业不予公示，直接作出认定决定",
            field="application_ids",
        )


def decide_final(
    status: ApplicationStatus,
    action: FinalAction,
    *,
    classified: bool,
    notice: NoticeState | None,
) -> ApplicationStatus:
    """Where the province's decision takes the application.

    A grant needs the notice to have ended with no open objection, or, for a classified
    application, only the experts' scores (reviewed without notice). A rejection may come straight
    after the experts' scoring (nothing is noticed that will not be granted) or after the notice,
    under the same hold as a grant: objections hold *the decision* until each is resolved."""
    if status is ApplicationStatus.UNDER_NOTICE:
        if notice is None:  # an application under notice always has its notice; kept for safety
            raise TransitionNotAllowed(status, action)
        if not notice.ended:
            raise DecisionHeld(
                "notice_running",
                "The public notice has not ended; decide after its last day",
                "公示期尚未结束，请在公示期满后作出决定",
            )
        if notice.open_objections:
            raise DecisionHeld(
                "objection_open",
                f"{notice.open_objections} objection(s) to this application are not resolved",
                f"该申请尚有 {notice.open_objections} 件异议未处理完毕",
            )
    elif status is ApplicationStatus.EXPERT_SCORED:
        if action is FinalAction.GRANT and not classified:
            raise DecisionHeld(
                "notice_required",
                "A title is granted after its public notice (公示); start one first",
                "拟认定企业须经公示后方可认定",
            )
    else:
        raise TransitionNotAllowed(status, action)
    return ApplicationStatus.GRANTED if action is FinalAction.GRANT else ApplicationStatus.REJECTED


def titles_read(
    declared: Mapping[str, Any], recorded: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The declared values with ``held_titles`` as the engine reads them (a higher tier needs a
    valid lower title where the rule set says so): every title the platform's certificates show
    (``recorded``), and a declared title only for a tier and level the enterprise has no
    certificate of here: one granted before the platform and not recorded on it. Each title read
    says where it came from (``certificate`` number, or none: declared), and so does the
    explanation."""
    on_platform = {(t["tier"], t["level"]) for t in recorded}
    fallback = [
        t
        for t in declared.get("held_titles") or ()
        if not isinstance(t, Mapping) or (t.get("tier"), t.get("level")) not in on_platform
    ]
    return {**declared, "held_titles": [*recorded, *fallback]}
