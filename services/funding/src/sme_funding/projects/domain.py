"""Subsidy projects (技改, R&D platforms, industrial-internet nodes): spend-based support that an
enterprise declares with evidence, its county or 市州 attests (属地化管理: the place answers for
the truthfulness, seed 001), the province re-checks for compliance and accepts the spend, and the
policy's amount rule turns into an entitlement (seed 004: Hubei 技改 8%, R&D platform 10–20%,
industrial-internet secondary node up to 100万).

Pure rules: the statuses, which step moves which status, who may take it (role, place, and never
the one who took an earlier step it checks: maker ≠ checker), and the amount from the accepted
figures through ``sme_funding.policies.domain``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from sme_common.rules import RuleViolation
from sme_funding.policies.domain import (
    AmountDecision,
    Policy,
    ShareOfSpend,
    SpendDeclaration,
    UpTo,
    subsidy_amount,
    up_to_amount,
)


class ProjectStatus(enum.StrEnum):
    DRAFT = "draft"
    DECLARED = "declared"
    """申报: filed with its evidence, awaiting the county or 市州."""
    ATTESTED = "attested"
    """属地审核: the county or 市州 attests the declaration is true."""
    COMPLIANCE_CHECKED = "compliance_checked"
    """省级复核: the province re-checked compliance."""
    SPEND_ACCEPTED = "spend_accepted"
    """The province accepted the spend figures (and any raised rate or officer's amount)."""
    ENTITLED = "entitled"
    """The amount is computed and an entitlement created."""
    RETURNED = "returned"
    """退回补正: back to the filer with remarks per field."""
    REJECTED = "rejected"


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DECLARE = "declare"
    ATTEST = "attest"
    CHECK_COMPLIANCE = "check_compliance"
    ACCEPT_SPEND = "accept_spend"
    ENTITLE = "entitle"
    RETURN = "return"
    REJECT = "reject"
    ADD_EVIDENCE = "add_evidence"


S = ProjectStatus
EDITABLE = frozenset({S.DRAFT, S.RETURNED})
"""A filer changes the figures and evidence only before declaring or after a return."""

MOVES: dict[Action, tuple[frozenset[ProjectStatus], ProjectStatus]] = {
    Action.DECLARE: (EDITABLE, S.DECLARED),
    Action.ATTEST: (frozenset({S.DECLARED}), S.ATTESTED),
    Action.CHECK_COMPLIANCE: (frozenset({S.ATTESTED}), S.COMPLIANCE_CHECKED),
    Action.ACCEPT_SPEND: (frozenset({S.COMPLIANCE_CHECKED}), S.SPEND_ACCEPTED),
    Action.ENTITLE: (frozenset({S.SPEND_ACCEPTED}), S.ENTITLED),
}
"""Each step's allowed starting statuses and where it leads; a return or a rejection is taken
from any status under review (``UNDER_REVIEW``)."""

UNDER_REVIEW = frozenset({S.DECLARED, S.ATTESTED, S.COMPLIANCE_CHECKED, S.SPEND_ACCEPTED})

LOCAL_ROLES = ("city_officer", "county_officer")
"""Who attests (属地): the county (区县) or 市州 of the enterprise, never the province
(``sme_common.auth.Role`` values: a domain module imports no web or database code)."""
PROVINCE_ROLES = ("province_officer",)
"""Who re-checks compliance, accepts the spend and computes the entitlement."""


def reviewer_roles(status: ProjectStatus) -> tuple[str, ...]:
    """Who may return or reject a project in ``status``: the one whose step is next."""
    return LOCAL_ROLES if status is S.DECLARED else PROVINCE_ROLES


class StepRefused(Exception):
    """A step that may not be taken now or by this caller (the service turns it into a problem)."""

    def __init__(self, code: str, detail: str, detail_zh: str, *, field: str) -> None:
        super().__init__(detail)
        self.code, self.detail, self.detail_zh, self.field = code, detail, detail_zh, field


def target_of(action: Action, current: ProjectStatus) -> ProjectStatus:
    """Where ``action`` leads from ``current``, or ``StepRefused`` (``project_status_conflict``)."""
    if action in (Action.RETURN, Action.REJECT):
        allowed, target = UNDER_REVIEW, (S.RETURNED if action is Action.RETURN else S.REJECTED)
    else:
        allowed, target = MOVES[action]
    if current not in allowed:
        raise StepRefused(
            "project_status_conflict",
            f"A project that is {current.value} cannot be moved by {action.value}",
            f"状态为 {current.value} 的项目不能执行 {action.value}",
            field="status",
        )
    return target


def check_not_same_person(actor: str, earlier: str | None, *, step: str, earlier_step: str) -> None:
    """Maker ≠ checker: the one who took ``earlier_step`` does not take ``step``."""
    if earlier is not None and actor == earlier:
        raise StepRefused(
            "maker_checker",
            f"The one who took the {earlier_step} step cannot take the {step} step",
            f"已办理{earlier_step}的人员不能再办理{step}",
            field="actor",
        )


@dataclass(frozen=True)
class Accepted:
    """The figures the province accepts (possibly lower than declared)."""

    eligible_spend_fen: int
    total_investment_fen: int | None
    rate_ratio: Decimal | None
    amount_fen: int | None
    """For an "up to" policy: the amount the officer sets."""


def amount_for(policy: Policy, accepted: Accepted) -> AmountDecision:
    """What the policy gives for the accepted figures: a share of spend (rate within the policy's
    maximum, thresholds, cap) or an officer's amount up to the cap. A ``RuleViolation`` (its code
    from ``policies.domain``: ``investment_below_threshold``, ``rate_above_maximum``,
    ``amount_above_cap`` …) otherwise."""
    rule = policy.amount
    if isinstance(rule, ShareOfSpend):
        if accepted.amount_fen is not None:
            raise RuleViolation(
                "amount_not_settable",
                f"Policy {policy.code} computes the amount from spend: send no amount_fen.",
                f"政策{policy.code}按投入比例计算金额，不能直接核定金额。",
                field="amount_fen",
            )
        return subsidy_amount(
            policy,
            SpendDeclaration(
                eligible_spend_fen=accepted.eligible_spend_fen,
                total_investment_fen=accepted.total_investment_fen,
                rate_ratio=accepted.rate_ratio,
            ),
        )
    if isinstance(rule, UpTo):
        if accepted.rate_ratio is not None:
            raise RuleViolation(
                "rate_not_settable",
                f"Policy {policy.code} has no rate: send no rate_ratio.",
                f"政策{policy.code}不按比例补助，不能设定比例。",
                field="rate_ratio",
            )
        if accepted.amount_fen is None:
            raise RuleViolation(
                "amount_required",
                f"Policy {policy.code} takes the officer's amount: send amount_fen.",
                f"政策{policy.code}由经办人核定金额，须填写金额。",
                field="amount_fen",
            )
        return up_to_amount(policy, accepted.amount_fen)
    raise RuleViolation(
        "policy_not_project_based",
        f"Policy {policy.code} is not paid on a project's spend.",
        f"政策{policy.code}不适用于项目补助。",
        field="policy_code",
    )


def check_declared(
    policy: Policy, eligible_spend_fen: int, total_investment_fen: int | None
) -> None:
    """A declaration that could never qualify is refused when declared (thresholds at the
    policy's own rate), so no officer's time is spent on it; an "up to" policy has no threshold."""
    if isinstance(policy.amount, ShareOfSpend):
        subsidy_amount(
            policy,
            SpendDeclaration(
                eligible_spend_fen=eligible_spend_fen, total_investment_fen=total_investment_fen
            ),
        )
