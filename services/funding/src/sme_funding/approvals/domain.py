"""Approval of entitlements (审批) by amount: which chain of steps an entitlement goes through
(``data/approval-chains.json``, per province with a default; its figures are configuration, no
seed gives them), and the four-eyes rule (maker ≠ checker): whoever created or cancelled an
entitlement, or took one step of its chain, never takes another step of it.

Pure rules only: the service reads the store and applies them.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sme_common.rules import RuleViolation


class StepLevel(enum.StrEnum):
    CITY = "city"
    """An officer of the entitlement's own 市州 (reporting unit)."""
    PROVINCE = "province"
    """An officer of the entitlement's province."""


LEVEL_ROLE = {StepLevel.CITY: "city_officer", StepLevel.PROVINCE: "province_officer"}
"""The role each level is taken by (a chain file naming another pair is refused on load)."""


class ApprovalAction(enum.StrEnum):
    APPROVE = "approve"
    """通过: the next step, or the final approval (which commits the budget)."""
    RETURN = "return"
    """退回: back to the first step of a new round; the entitlement stays pending."""
    REJECT = "reject"
    """不予批准: the entitlement is cancelled."""
    WITHDRAW = "withdraw"
    """撤销: an approved entitlement not yet in a batch is cancelled and its budget released."""


class ApprovalState(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class ChainStep:
    position: int
    role: str
    level: StepLevel
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Tier:
    code: str
    up_to_fen: int | None
    """Inclusive upper bound of the amount; None: no bound (the last tier)."""
    steps: tuple[ChainStep, ...]


@dataclass(frozen=True)
class ChainTable:
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class ApprovalChains:
    version: str
    status: str
    default: ChainTable
    provinces: dict[str, ChainTable]

    def table(self, province_code: str) -> ChainTable:
        return self.provinces.get(province_code, self.default)

    def tier_for(self, province_code: str, amount_fen: int) -> Tier:
        """The tier an amount falls in (the first whose ``up_to_fen`` reaches it)."""
        for tier in self.table(province_code).tiers:
            if tier.up_to_fen is None or amount_fen <= tier.up_to_fen:
                return tier
        raise RuleViolation(  # unreachable with a valid file (its last tier is unbounded)
            "approval_chain_missing",
            f"No approval chain covers {amount_fen} fen in {province_code}",
            f"{province_code} 没有覆盖 {amount_fen} 分的审批链",
            field="amount_fen",
        )


def _table(raw: dict[str, object]) -> ChainTable:
    tiers: list[Tier] = []
    raw_tiers = raw["tiers"]
    assert isinstance(raw_tiers, list)
    for tier in raw_tiers:
        steps = tuple(
            ChainStep(
                position=index,
                role=step["role"],
                level=StepLevel(step["level"]),
                name_zh=step["name_zh"],
                name_en=step["name_en"],
            )
            for index, step in enumerate(tier["steps"], start=1)
        )
        for step in steps:
            if LEVEL_ROLE[step.level] != step.role:
                raise ValueError(f"step {step.name_en}: role {step.role} at level {step.level}")
        if not steps:
            raise ValueError(f"tier {tier['code']} has no step")
        tiers.append(Tier(code=tier["code"], up_to_fen=tier["up_to_fen"], steps=steps))
    bounds = [t.up_to_fen for t in tiers]
    if not tiers or bounds[-1] is not None or None in bounds[:-1]:
        raise ValueError("only the last tier is unbounded")
    if bounds[:-1] != sorted(b for b in bounds[:-1] if b is not None):
        raise ValueError("tiers must be in increasing order of amount")
    return ChainTable(tiers=tuple(tiers))


def parse_chains(raw: dict[str, object]) -> ApprovalChains:
    provinces = raw["provinces"]
    assert isinstance(provinces, dict)
    default = raw["default"]
    assert isinstance(default, dict)
    return ApprovalChains(
        version=str(raw["version"]),
        status=str(raw["status"]),
        default=_table(default),
        provinces={code: _table(table) for code, table in provinces.items()},
    )


@cache
def load_chains() -> ApprovalChains:
    """The approval chains in force (``data/approval-chains.json``)."""
    raw = json.loads(
        resources.files("sme_funding.approvals.data")
        .joinpath("approval-chains.json")
        .read_text(encoding="utf-8")
    )
    return parse_chains(raw)


def barred(
    *,
    subject: str,
    position: int,
    creators_and_cancellers: Iterable[str],
    step_takers: Iterable[tuple[str, int]],
) -> bool:
    """Maker ≠ checker (审批不相容): ``subject`` may not take the step at ``position`` if it
    created or cancelled the entitlement, or took another step (any other position, in any round)
    of its chain. Taking the same position again after a return (退回) is allowed: it is the same
    check made again, not a second pair of eyes on one's own."""
    if subject in set(creators_and_cancellers):
        return True
    return any(actor == subject and taken != position for actor, taken in step_takers)


def remarks_required(action: ApprovalAction) -> bool:
    """A return, a rejection and a withdrawal say why; an approval may be silent."""
    return action is not ApprovalAction.APPROVE
