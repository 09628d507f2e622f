"""Approval of entitlements (审批) by amount thresholds: an entitlement pending approval follows the
chain of its province and amount (``domain.load_chains``); each step is approved, returned or
rejected by an officer of the step's role and level, never by one who made the entitlement or took
another step of it (maker ≠ checker). The final approval commits the budget in the same unit of
work (``budgets.service.commit``, subject ``entitlement:{id}``): a budget that cannot take it
refuses the approval and nothing changes. An approved entitlement not yet in a batch can be
withdrawn (撤销): cancelled, its commitment released.

Other modules call :func:`withdraw_in` inside their own unit of work to withdraw an approved
entitlement (it releases the commitment and cancels the entitlement).
"""

from __future__ import annotations

import re
from typing import Any

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, Role
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor
from sme_common.problems import Resource, expect_version, not_found
from sme_funding.approvals import domain, events, repository
from sme_funding.approvals.domain import (
    ApprovalAction,
    ApprovalState,
    ChainStep,
    StepLevel,
    Tier,
)
from sme_funding.approvals.models import Approval, ApprovalStep
from sme_funding.approvals.schemas import (
    ApprovalRead,
    ApprovalStepRead,
    ChainStepRead,
    QueueFilters,
    QueueItem,
    QueuePage,
    StepDecision,
    Withdrawal,
)
from sme_funding.budgets import service as budgets
from sme_funding.entitlements import repository as entitlements
from sme_funding.entitlements import service as entitlement_service
from sme_funding.entitlements.domain import EntitlementStatus, province_of
from sme_funding.entitlements.events import ENTITLEMENT_TOPIC, entitlement_event
from sme_funding.entitlements.models import Entitlement

ENTITLEMENT = Resource("entitlement", "entitlement {key}", "资金兑现事项 {key}")
CURSOR = KeyCursor(re.compile(r"^ent_[0-9a-f]{16}$"))

NOT_PENDING = "approval_not_pending"
ROLE_MISMATCH = "approval_role_mismatch"
LEVEL_MISMATCH = "approval_level_mismatch"
MAKER_CHECKER = "maker_checker_violation"
REMARKS_REQUIRED = "remarks_required"
ACTION_INVALID = "approval_action_invalid"
NOT_WITHDRAWABLE = "approval_not_withdrawable"


def commitment_ref(entitlement_id: str) -> str:
    """The subject of an entitlement's budget commitment (the funding convention)."""
    return f"entitlement:{entitlement_id}"


# --- the chain ------------------------------------------------------------------------------


def _step_dict(step: ChainStep) -> dict[str, Any]:
    return {
        "position": step.position,
        "role": step.role,
        "level": step.level.value,
        "name_zh": step.name_zh,
        "name_en": step.name_en,
    }


def _chain_of(entitlement: Entitlement, approval: Approval | None) -> tuple[str, str, list[Any]]:
    """(chains version, tier code, steps): the snapshot of a started approval, else the tier
    in force for the entitlement's province and amount."""
    if approval is not None:
        return approval.chains_version, approval.tier_code, list(approval.steps)
    chains = domain.load_chains()
    tier = chains.tier_for(province_of(entitlement.region_code), entitlement.amount_fen)
    return chains.version, tier.code, [_step_dict(s) for s in tier.steps]


def _state(approval: Approval | None) -> ApprovalState:
    return ApprovalState.NOT_STARTED if approval is None else ApprovalState(approval.state)


def _next(entitlement: Entitlement, approval: Approval | None, chain: list[Any]) -> Any | None:
    if entitlement.status != EntitlementStatus.PENDING_APPROVAL.value:
        return None
    if approval is None:
        return chain[0]
    if approval.state != ApprovalState.IN_PROGRESS.value or approval.next_position is None:
        return None
    return chain[approval.next_position - 1]


async def _read(uow: UnitOfWork, entitlement: Entitlement) -> ApprovalRead:
    approval = await repository.get(uow.session, entitlement.id)
    version, tier_code, chain = _chain_of(entitlement, approval)
    following = _next(entitlement, approval, chain)
    steps = await repository.steps_of(uow.session, entitlement.id)
    return ApprovalRead(
        entitlement_id=entitlement.id,
        entitlement_status=EntitlementStatus(entitlement.status),
        version=entitlement.version,
        amount_fen=entitlement.amount_fen,
        chains_version=version,
        tier_code=tier_code,
        chain=[ChainStepRead.model_validate(s) for s in chain],
        state=_state(approval),
        round=1 if approval is None else approval.round,
        next_step=None if following is None else ChainStepRead.model_validate(following),
        steps=[ApprovalStepRead.model_validate(s) for s in steps],
    )


async def _in_scope(
    uow: UnitOfWork, entitlement_id: str, actor: Principal, *, for_update: bool = False
) -> Entitlement:
    entitlement = await entitlements.in_scope(
        uow.session, entitlement_id, actor.region_scope(), for_update=for_update
    )
    if entitlement is None:
        raise not_found(ENTITLEMENT, entitlement_id, field="entitlement_id")
    return entitlement


async def get_approval(
    database: Database, *, entitlement_id: str, actor: Principal
) -> ApprovalRead:
    async with UnitOfWork(database) as uow:
        return await _read(uow, await _in_scope(uow, entitlement_id, actor))


# --- taking a step --------------------------------------------------------------------------


def _check_level(step: dict[str, Any], entitlement: Entitlement, actor: Principal) -> None:
    """The caller holds the step's role, at the step's level for this entitlement's region."""
    if step["role"] not in actor.roles:
        raise Forbidden(
            ROLE_MISMATCH,
            f"Step {step['position']} ({step['name_en']}) is taken by a {step['role']}",
            f"第 {step['position']} 步（{step['name_zh']}）须由 {step['role']} 办理",
            field="action",
            extra={"role": step["role"], "position": step["position"]},
        )
    scope = actor.region_scope()
    if StepLevel(step["level"]) is StepLevel.CITY:
        fits = scope.level is RegionLevel.REPORTING_UNIT and scope.code == entitlement.region_code
    else:
        fits = (
            scope.level is RegionLevel.PROVINCE
            and scope.code is not None
            and province_of(scope.code) == province_of(entitlement.region_code)
        )
    if not fits:
        raise Forbidden(
            LEVEL_MISMATCH,
            f"Step {step['position']} is taken at the {step['level']} level of "
            f"{entitlement.region_code}",
            f"第 {step['position']} 步须由 {entitlement.region_code} 的{step['name_zh']}部门办理",
            field="action",
            extra={"level": step["level"], "position": step["position"]},
        )


async def _check_four_eyes(
    uow: UnitOfWork, entitlement_id: str, subject: str, position: int
) -> None:
    makers = await repository.creators_and_cancellers(uow.session, entitlement_id)
    taken = [
        (s.actor, s.position)
        for s in await repository.steps_of(uow.session, entitlement_id)
        if s.position is not None
    ]
    if domain.barred(
        subject=subject, position=position, creators_and_cancellers=makers, step_takers=taken
    ):
        raise Forbidden(
            MAKER_CHECKER,
            "You made this entitlement or took another step of its approval: someone else "
            "must take this one (maker ≠ checker)",
            "您已办理过该事项的其他审批环节或是其经办人，本环节须由他人办理（审批不相容）",
            field="action",
            extra={"position": position},
        )


async def _started(uow: UnitOfWork, entitlement: Entitlement) -> Approval:
    """The entitlement's approval, locked; started now (its chain snapshotted) if it was not."""
    approval = await repository.get(uow.session, entitlement.id, for_update=True)
    if approval is not None:
        return approval
    chains = domain.load_chains()
    tier: Tier = chains.tier_for(province_of(entitlement.region_code), entitlement.amount_fen)
    at = clock.now()
    approval = Approval(
        entitlement_id=entitlement.id,
        chains_version=chains.version,
        tier_code=tier.code,
        steps=[_step_dict(s) for s in tier.steps],
        round=1,
        next_position=1,
        next_role=tier.steps[0].role,
        state=ApprovalState.IN_PROGRESS.value,
        created_at=at,
        updated_at=at,
    )
    await repository.add(uow.session, approval)
    return approval


async def _record(
    uow: UnitOfWork,
    approval: Approval,
    *,
    position: int | None,
    role: str,
    action: ApprovalAction,
    actor: str,
    remarks: str | None,
    entitlement_version: int,
) -> None:
    await repository.add_step(
        uow.session,
        ApprovalStep(
            entitlement_id=approval.entitlement_id,
            round=approval.round,
            position=position,
            role=role,
            action=action.value,
            actor=actor,
            remarks=remarks,
            entitlement_version=entitlement_version,
            at=clock.now(),
        ),
    )


async def _same_status_step(
    uow: UnitOfWork, entitlement: Entitlement, *, actor: str, remarks: str
) -> None:
    """A step that leaves the entitlement pending still raises its version and is in its history."""
    status = entitlement.status
    await entitlements.set_status(
        uow.session, entitlement, status=status, blocked_reason=None, at=clock.now()
    )
    await entitlements.add_step(
        uow.session,
        entitlement_id=entitlement.id,
        from_status=status,
        to_status=status,
        actor=actor,
        at=clock.now(),
        remarks=remarks,
    )


def _label(step: dict[str, Any], total: int, action: ApprovalAction, remarks: str | None) -> str:
    said = f": {remarks}" if remarks else ""
    return f"审批 {step['position']}/{total} {step['name_zh']} {action.value}{said}"


async def take_step_in(
    uow: UnitOfWork, *, entitlement_id: str, decision: StepDecision, actor: Principal
) -> ApprovalRead:
    """Take the next step of an entitlement's approval inside ``uow`` (does not commit)."""
    action = decision.action
    if action is ApprovalAction.WITHDRAW:
        raise InvalidInput(
            ACTION_INVALID,
            "Withdraw an approved entitlement with POST …/approval/withdrawal",
            "撤销已批准事项请使用 POST …/approval/withdrawal",
            field="action",
        )
    if domain.remarks_required(action) and not decision.remarks:
        raise InvalidInput(
            REMARKS_REQUIRED,
            f"A {action.value} says why: send remarks",
            "退回或不予批准须填写意见",
            field="remarks",
        )
    entitlement = await _in_scope(uow, entitlement_id, actor, for_update=True)
    expect_version(ENTITLEMENT, entitlement_id, current=entitlement.version, sent=decision.version)
    if entitlement.status != EntitlementStatus.PENDING_APPROVAL.value:
        raise Conflict(
            NOT_PENDING,
            f"Only an entitlement pending approval takes approval steps; this one is "
            f"{entitlement.status}",
            f"只有待审批的兑现事项可以办理审批，当前状态为 {entitlement.status}",
            field="status",
            extra={"status": entitlement.status},
        )
    approval = await _started(uow, entitlement)
    assert approval.next_position is not None  # in progress while the entitlement is pending
    chain = list(approval.steps)
    step = chain[approval.next_position - 1]
    _check_level(step, entitlement, actor)
    await _check_four_eyes(uow, entitlement.id, actor.subject, step["position"])
    version_taken = entitlement.version
    label = _label(step, len(chain), action, decision.remarks)
    final = step["position"] == len(chain)
    if action is ApprovalAction.APPROVE and final:
        await budgets.commit(
            uow,
            fund_code=entitlement.fund_code,
            year=entitlement.year,
            region_code=entitlement.region_code,
            amount_fen=entitlement.amount_fen,
            subject_ref=commitment_ref(entitlement.id),
            actor=actor.subject,
        )
        await entitlement_service.move_status(
            uow, entitlement, EntitlementStatus.APPROVED, actor=actor.subject, remarks=label
        )
        approval.state, approval.next_position, approval.next_role = "approved", None, None
        if entitlement.uscc is not None:
            uow.publish(
                ENTITLEMENT_TOPIC,
                entitlement_event(
                    events.approved(
                        entitlement_id=entitlement.id,
                        uscc=entitlement.uscc,
                        policy_code=entitlement.policy_code,
                        amount_fen=entitlement.amount_fen,
                        approved_at=clock.now(),
                    )
                ),
            )
    elif action is ApprovalAction.APPROVE:
        following = chain[step["position"]]
        approval.next_position, approval.next_role = following["position"], following["role"]
        await _same_status_step(uow, entitlement, actor=actor.subject, remarks=label)
    elif action is ApprovalAction.RETURN:
        approval.next_position, approval.next_role = 1, chain[0]["role"]
        await _same_status_step(uow, entitlement, actor=actor.subject, remarks=label)
    else:  # reject
        await entitlement_service.move_status(
            uow, entitlement, EntitlementStatus.CANCELLED, actor=actor.subject, remarks=label
        )
        approval.state, approval.next_position, approval.next_role = "rejected", None, None
    await _record(
        uow,
        approval,
        position=step["position"],
        role=step["role"],
        action=action,
        actor=actor.subject,
        remarks=decision.remarks,
        entitlement_version=version_taken,
    )
    if action is ApprovalAction.RETURN:
        approval.round += 1  # after the step: the return belongs to the round it ends
    approval.updated_at = clock.now()
    await uow.flush()
    return await _read(uow, entitlement)


async def take_step(
    database: Database,
    *,
    entitlement_id: str,
    decision: StepDecision,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    """An officer takes the next step of an entitlement's approval (once per Idempotency-Key)."""

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        read = await take_step_in(
            uow, entitlement_id=entitlement_id, decision=decision, actor=actor
        )
        return 200, read.model_dump(mode="json")

    return await run_once(database, idempotency, operation)


# --- withdrawal -----------------------------------------------------------------------------


async def withdraw_in(
    uow: UnitOfWork,
    entitlement: Entitlement,
    *,
    actor: str,
    remarks: str,
    role: str = Role.PROVINCE_OFFICER.value,
) -> None:
    """Withdraw a (locked) approved entitlement inside ``uow``: its budget commitment is released
    (``budgets.service.release``), it becomes cancelled, the approval ``withdrawn``. 409
    ``approval_not_withdrawable`` unless it is approved (in a batch, paid: not here). Does not
    commit."""
    if entitlement.status != EntitlementStatus.APPROVED.value:
        raise Conflict(
            NOT_WITHDRAWABLE,
            f"Only an approved entitlement not yet in a batch can be withdrawn; this one is "
            f"{entitlement.status}",
            f"只有已批准且未纳入支付批次的兑现事项可以撤销，当前状态为 {entitlement.status}",
            field="status",
            extra={"status": entitlement.status},
        )
    version_taken = entitlement.version
    await budgets.release(uow, commitment_ref(entitlement.id), actor)
    await entitlement_service.move_status(
        uow,
        entitlement,
        EntitlementStatus.CANCELLED,
        actor=actor,
        remarks=f"撤销批准 / approval withdrawn: {remarks}",
    )
    approval = await repository.get(uow.session, entitlement.id, for_update=True)
    if approval is None:  # approved before this module existed: its approval starts here
        approval = await _started(uow, entitlement)
    approval.state, approval.next_position, approval.next_role = "withdrawn", None, None
    approval.updated_at = clock.now()
    await _record(
        uow,
        approval,
        position=None,
        role=role,
        action=ApprovalAction.WITHDRAW,
        actor=actor,
        remarks=remarks,
        entitlement_version=version_taken,
    )
    await uow.flush()


async def withdraw(
    database: Database, *, entitlement_id: str, command: Withdrawal, actor: Principal
) -> ApprovalRead:
    """A province officer withdraws (撤销) an approved entitlement not yet in a batch."""
    async with UnitOfWork(database) as uow:
        entitlement = await _in_scope(uow, entitlement_id, actor, for_update=True)
        expect_version(
            ENTITLEMENT, entitlement_id, current=entitlement.version, sent=command.version
        )
        await withdraw_in(uow, entitlement, actor=actor.subject, remarks=command.remarks)
        read = await _read(uow, entitlement)
        await uow.commit()
    return read


# --- the queue ------------------------------------------------------------------------------


def _first_steps(roles: frozenset[str]) -> list[repository.AmountRange]:
    """The amount ranges, by province, whose chain starts with one of ``roles``."""
    chains = domain.load_chains()
    tables = [(code, (), table) for code, table in chains.provinces.items()]
    tables.append((None, tuple(chains.provinces), chains.default))  # type: ignore[arg-type]
    ranges: list[repository.AmountRange] = []
    for province, others, table in tables:
        above: int | None = None
        for tier in table.tiers:
            if tier.steps[0].role in roles:
                ranges.append(repository.AmountRange(province, others, above, tier.up_to_fen))
            above = tier.up_to_fen
    return ranges


async def queue(database: Database, *, filters: QueueFilters, actor: Principal) -> QueuePage:
    """What the caller may act on next in their region: pending entitlements whose next step is
    of the caller's role and that the caller is not barred from (maker ≠ checker)."""
    after = CURSOR.after(filters.cursor)
    roles = frozenset(str(r) for r in actor.roles)
    async with UnitOfWork(database) as uow:
        rows = await repository.queue(
            uow.session,
            actor.region_scope(),
            roles=sorted(roles),
            subject=actor.subject,
            first_steps=_first_steps(roles),
            after=after,
            limit=filters.limit,
        )
        items: list[QueueItem] = []
        for entitlement, approval in rows[: filters.limit]:
            _, _, chain = _chain_of(entitlement, approval)
            following = _next(entitlement, approval, chain)
            assert following is not None  # the query selects only those with a next step
            items.append(
                QueueItem(
                    entitlement_id=entitlement.id,
                    policy_code=entitlement.policy_code,
                    uscc=entitlement.uscc,
                    payee_id=entitlement.payee_id,
                    region_code=entitlement.region_code,
                    amount_fen=entitlement.amount_fen,
                    year=entitlement.year,
                    version=entitlement.version,
                    round=1 if approval is None else approval.round,
                    next_step=ChainStepRead.model_validate(following),
                    chain_length=len(chain),
                )
            )
    more = len(rows) > filters.limit and items
    return QueuePage(
        items=items, next_cursor=CURSOR.encode(items[-1].entitlement_id) if more else None
    )
