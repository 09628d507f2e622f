"""The policy catalogue as callers read it (GET /v1/policies …)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from sme_funding.policies.domain import (
    Citation,
    FixedAmount,
    PayeeKind,
    PerUnit,
    Policy,
    ShareOfSpend,
    StackingKind,
    StackingRule,
    TriggerKind,
    UpTo,
)

POLICY_CODE_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
PROVINCE_CODE_PATTERN = r"^[0-9]{2}0000$"


class CitationRead(BaseModel):
    document: str = Field(examples=["甘工信发〔2023〕75号"])
    article: str = Field(examples=["(九)"])
    unverified: bool = Field(description="to be confirmed against the official text (policy-facts)")

    @classmethod
    def of(cls, citation: Citation) -> CitationRead:
        return cls(
            document=citation.document, article=citation.article, unverified=citation.unverified
        )


class TriggerRead(BaseModel):
    kind: TriggerKind
    tier: Literal["innovative", "specialised", "little_giant"] | None = None
    level: Literal["provincial", "national"] | None = None
    first_only: bool = False
    project_kind: str | None = None
    holder_tiers: list[Literal["innovative", "specialised", "little_giant"]] = []
    unit: str | None = None


class AmountRead(BaseModel):
    """The amount rule; which members are set depends on ``kind``. Ratios are decimal strings."""

    kind: Literal["fixed", "share_of_spend", "up_to", "per_unit"]
    amount_fen: int | None = None
    configurable: bool = Field(
        False, description="the document gives no amount: a placeholder the province configures"
    )
    rate_ratio: str | None = Field(None, examples=["0.10"])
    max_rate_ratio: str | None = Field(None, examples=["0.20"])
    cap_fen: int | None = None
    spend_threshold_fen: int | None = None
    investment_threshold_fen: int | None = None
    unit_amount_fen: int | None = None


class StackingRead(BaseModel):
    policies: list[str] = Field(min_length=2, max_length=2)
    kind: StackingKind
    citation: CitationRead

    @classmethod
    def of(cls, rule: StackingRule) -> StackingRead:
        return cls(
            policies=list(rule.policies), kind=rule.kind, citation=CitationRead.of(rule.citation)
        )


class PolicyRead(BaseModel):
    code: str = Field(examples=["GS-ZJTX-PROV-FIRST"])
    version: str
    title_zh: str
    title_en: str
    province_code: str
    citations: list[CitationRead]
    trigger: TriggerRead
    amount: AmountRead
    effective_from: date
    effective_to: date | None
    payee_kind: PayeeKind
    fund_code: str
    unverified: bool = Field(description="a citation or a placeholder amount awaits confirmation")
    notes_en: str
    notes_zh: str

    @classmethod
    def of(cls, policy: Policy) -> PolicyRead:
        trigger = policy.trigger
        return cls(
            code=policy.code,
            version=policy.version,
            title_zh=policy.title_zh,
            title_en=policy.title_en,
            province_code=policy.province_code,
            citations=[CitationRead.of(c) for c in policy.citations],
            trigger=TriggerRead(
                kind=trigger.kind,
                tier=trigger.tier,
                level=trigger.level,
                first_only=trigger.first_only,
                project_kind=trigger.project_kind,
                holder_tiers=list(trigger.holder_tiers),
                unit=trigger.unit,
            ),
            amount=_amount(policy),
            effective_from=policy.effective_from,
            effective_to=policy.effective_to,
            payee_kind=policy.payee_kind,
            fund_code=policy.fund_code,
            unverified=policy.unverified,
            notes_en=policy.notes_en,
            notes_zh=policy.notes_zh,
        )


def _amount(policy: Policy) -> AmountRead:
    rule = policy.amount
    if isinstance(rule, FixedAmount):
        return AmountRead(kind="fixed", amount_fen=rule.amount_fen, configurable=rule.configurable)
    if isinstance(rule, ShareOfSpend):
        return AmountRead(
            kind="share_of_spend",
            rate_ratio=str(rule.rate_ratio),
            max_rate_ratio=str(rule.max_rate_ratio),
            cap_fen=rule.cap_fen,
            spend_threshold_fen=rule.spend_threshold_fen,
            investment_threshold_fen=rule.investment_threshold_fen,
        )
    if isinstance(rule, UpTo):
        return AmountRead(kind="up_to", cap_fen=rule.cap_fen)
    assert isinstance(rule, PerUnit)
    return AmountRead(kind="per_unit", unit_amount_fen=rule.unit_amount_fen)


class PolicyVersionRead(BaseModel):
    version: str
    effective_from: date
    effective_to: date | None


class PolicyDetail(PolicyRead):
    stacking: list[StackingRead] = Field(
        description="the stacking rules this policy is in (a pair not listed stacks)"
    )
    versions: list[PolicyVersionRead]


class PolicyList(BaseModel):
    on: date | None = Field(description="the day whose policies in force are listed; null: all")
    items: list[PolicyRead]
