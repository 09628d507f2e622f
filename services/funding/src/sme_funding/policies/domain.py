"""Award and subsidy policies as data, and the pure rules that turn a trigger into entitlements.

This file fixes the *interface* the rest of funding is written against (entitlements, subsidy
projects, the consumer of certification's events) and holds the pure rules: which policies a
certificate triggers and for how much (``proposals_for_certificate``), what a subsidy project's
accepted spend gives (``subsidy_amount``), what a count of units gives (``unit_count_amount``) and
what an officer may set under an "up to" policy (``up_to_amount``). The policies themselves are
data (``data/<province>.json``), read by ``book.py``.

A policy (政策事项) names its document and article, a trigger, an amount rule, effective dates, a
province, a payee kind and the fund it is paid from. A stacking rule belongs to a *pair* of
policies (Gansu stacks its 50万 national 小巨人 award on its 30万 provincial 专精特新 award,
甘工信发〔2023〕75号 (九) "再奖励"; Guizhou pays the higher of its provincial and national 小巨人
awards, seed 003 就高), never to a province.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeAlias

from sme_common.rules import RuleViolation


class PayeeKind(enum.StrEnum):
    ENTERPRISE = "enterprise"
    CITY_GOVERNMENT = "city_government"
    """A 市州 government (规下转规上 awards go to the city, seed 001)."""
    SERVICE_PLATFORM = "service_platform"
    GUARANTEE_AGENCY = "guarantee_agency"


class TriggerKind(enum.StrEnum):
    CERTIFICATE_GRANTED = "certificate_granted"
    """A title was granted (免申即享: no application)."""
    CERTIFICATE_RENEWED = "certificate_renewed"
    """A title passed its 3-year re-review (复核)."""
    SUBSIDY_PROJECT = "subsidy_project"
    """A declared project whose accepted spend the amount is computed from (技改, R&D platform …)."""
    UNIT_COUNT = "unit_count"
    """A count of units the payee achieved (规下转规上: net new above-scale enterprises)."""


class StackingKind(enum.StrEnum):
    STACK = "stack"
    """Both are paid in full."""
    HIGHEST_ONLY = "highest_only"
    """Paid once, at the higher amount (就高): the later one pays only what exceeds the earlier."""
    FIRST_TIME_ONLY = "first_time_only"
    """Whichever came first is paid; the other is not (for a policy paired with itself: once per
    enterprise, ever)."""


@dataclass(frozen=True)
class Citation:
    document: str
    """e.g. 甘工信发〔2023〕75号"""
    article: str
    """e.g. (九)"""
    unverified: bool = False


@dataclass(frozen=True)
class CertificateTrigger:
    """A certificate event, as funding knows it."""

    kind: TriggerKind  # CERTIFICATE_GRANTED or CERTIFICATE_RENEWED
    certificate_id: str
    uscc: str
    tier: str  # "innovative" | "specialized" | "little_giant" (sme_common contracts' Tier values)
    level: str  # "provincial" | "national"
    province_code: str  # 6-digit, e.g. "620000", from the enterprise's region
    city_code: str  # the enterprise's 市州 (reporting unit) code
    occurred_on: date  # issue date (granted) or renewal date (renewed)


@dataclass(frozen=True)
class PriorCertificate:
    certificate_id: str
    tier: str
    level: str
    issued_on: date


@dataclass(frozen=True)
class PriorEntitlement:
    entitlement_id: str
    policy_code: str
    amount_fen: int
    trigger_key: str
    cancelled: bool = False


@dataclass(frozen=True)
class AwardHistory:
    """What funding already knows of the payee: its earlier certificates (any status, the current
    one excluded) and its earlier entitlements (cancelled ones flagged)."""

    certificates: tuple[PriorCertificate, ...] = ()
    entitlements: tuple[PriorEntitlement, ...] = ()


@dataclass(frozen=True)
class ExplanationLine:
    code: str
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class EntitlementProposal:
    """What a policy gives for one trigger: the entitlements service stores it once, keyed by
    ``trigger_key`` (unique), so a replayed event never creates a second one."""

    policy_code: str
    policy_version: str
    trigger_key: str
    """``{policy_code}:{certificate_id}:{trigger kind}``, e.g.
    ``GS-ZJTX-PROV-FIRST:<certificate_id>:certificate_granted`` (``trigger_key``)."""
    payee_kind: PayeeKind
    payee_id: str
    """The USCC for an enterprise; the region code for a city government …"""
    uscc: str | None
    region_code: str
    """The 市州 whose allocation pays it and whose officers see it."""
    fund_code: str
    amount_fen: int
    """0 when a stacking rule leaves nothing to pay (kept, with the explanation, so the officer
    sees why)."""
    full_amount_fen: int
    """What the policy alone would give, before stacking."""
    explanation: tuple[ExplanationLine, ...] = field(default=())


@dataclass(frozen=True)
class SpendDeclaration:
    """The accepted figures of a subsidy project."""

    eligible_spend_fen: int
    """R&D spend (3 years) or equipment spend, as the policy's amount rule names it."""
    total_investment_fen: int | None = None
    rate_ratio: Decimal | None = None
    """An officer's raised rate, within the policy's maximum (Hubei R&D platform: 10%, up to 20%)."""


@dataclass(frozen=True)
class AmountDecision:
    amount_fen: int
    explanation: tuple[ExplanationLine, ...]


# --- Policies as data -------------------------------------------------------------------------

TIERS = ("innovative", "specialised", "little_giant")
"""The tiers exactly as certification's event contracts spell them (``sme_common.contracts``
``Tier``): 创新型中小企业, 专精特新中小企业, 专精特新"小巨人"企业."""
LEVELS = ("provincial", "national")


class AmountKind(enum.StrEnum):
    FIXED = "fixed"
    SHARE_OF_SPEND = "share_of_spend"
    UP_TO = "up_to"
    PER_UNIT = "per_unit"


@dataclass(frozen=True)
class FixedAmount:
    """A fixed award (奖励 … 万元/户)."""

    amount_fen: int
    configurable: bool = False
    """True when the document gives no amount and the figure is a placeholder the province sets
    (Guizhou's 小巨人 awards, Hubei's 市州/county re-review awards)."""
    kind: AmountKind = AmountKind.FIXED


@dataclass(frozen=True)
class ShareOfSpend:
    """A share of accepted spend (按 …% 比例给予最高 … 万元补贴)."""

    rate_ratio: Decimal
    """The rate the policy gives by default (0.10 = 10%)."""
    max_rate_ratio: Decimal
    """The highest rate an officer may set (Hubei R&D platform 可提至最高20%); equal to
    ``rate_ratio`` when the rate cannot be raised."""
    cap_fen: int | None = None
    spend_threshold_fen: int | None = None
    """Eligible spend must reach it (达到 … 以上: the boundary itself qualifies)."""
    investment_threshold_fen: int | None = None
    """Total investment must reach it (总投资门槛)."""
    kind: AmountKind = AmountKind.SHARE_OF_SPEND


@dataclass(frozen=True)
class UpTo:
    """An amount the officer sets, at most the cap (最高不超过 … 万元)."""

    cap_fen: int
    kind: AmountKind = AmountKind.UP_TO


@dataclass(frozen=True)
class PerUnit:
    """An amount per unit achieved (每净增一户奖励 … 万元)."""

    unit_amount_fen: int
    kind: AmountKind = AmountKind.PER_UNIT


AmountRule: TypeAlias = FixedAmount | ShareOfSpend | UpTo | PerUnit


@dataclass(frozen=True)
class PolicyTrigger:
    """What makes a policy give something."""

    kind: TriggerKind
    tier: str | None = None
    """Certificate triggers: the tier of the certificate (one of ``TIERS``)."""
    level: str | None = None
    """Certificate triggers: ``provincial`` or ``national``."""
    first_only: bool = False
    """Certificate triggers: only an enterprise's first certificate of this tier and level counts
    (首次认定): a re-certification after expiry is not first."""
    project_kind: str | None = None
    """Subsidy projects: the kind of project (``rd_platform``, ``technical_upgrade`` …)."""
    holder_tiers: tuple[str, ...] = ()
    """Subsidy projects: the declaring enterprise must hold one of these tiers (专精特新 …)."""
    unit: str | None = None
    """Unit counts: what is counted (``net_new_above_scale_enterprise``)."""


@dataclass(frozen=True)
class Policy:
    """One version of a policy (政策事项)."""

    code: str
    version: str
    title_zh: str
    title_en: str
    province_code: str
    citations: tuple[Citation, ...]
    """The document(s) and article(s) it rests on; the first is the governing one."""
    trigger: PolicyTrigger
    amount: AmountRule
    effective_from: date
    effective_to: date | None
    """Inclusive; None while in force with no end date."""
    payee_kind: PayeeKind
    fund_code: str
    """e.g. ``sme-development-fund`` (中小企业发展专项资金)."""
    notes_en: str = ""
    notes_zh: str = ""

    @property
    def citation(self) -> Citation:
        return self.citations[0]

    @property
    def unverified(self) -> bool:
        """Some part of it (a citation, a placeholder amount) must be confirmed before going live."""
        configurable = isinstance(self.amount, FixedAmount) and self.amount.configurable
        return configurable or any(c.unverified for c in self.citations)

    def in_effect_on(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class StackingRule:
    """How two policies combine for one enterprise; a policy paired with itself under
    ``FIRST_TIME_ONLY`` is paid once per enterprise, ever."""

    policies: tuple[str, str]
    kind: StackingKind
    citation: Citation

    def involves(self, code: str) -> bool:
        return code in self.policies

    def other(self, code: str) -> str:
        first, second = self.policies
        return second if first == code else first


class PolicyBook:
    """Every policy version and stacking rule known to funding (all provinces). Pure: built from
    data by ``book.load_book``; nothing here reads files."""

    def __init__(self, policies: tuple[Policy, ...], stacking: tuple[StackingRule, ...]) -> None:
        self.policies = tuple(sorted(policies, key=lambda p: (p.code, p.effective_from)))
        self.stacking = stacking

    def policies_for(self, trigger_kind: TriggerKind, province_code: str, on: date) -> list[Policy]:
        """The policy versions of this province, for this kind of trigger, in force on ``on``."""
        return [
            p
            for p in self.policies
            if p.trigger.kind == trigger_kind
            and p.province_code == province_code
            and p.in_effect_on(on)
        ]

    def in_force(self, province_code: str | None = None, on: date | None = None) -> list[Policy]:
        """Every policy version (of a province), or those in force on a date."""
        return [
            p
            for p in self.policies
            if (province_code is None or p.province_code == province_code)
            and (on is None or p.in_effect_on(on))
        ]

    def versions(self, code: str) -> list[Policy]:
        return [p for p in self.policies if p.code == code]

    def get(self, code: str, on: date | None = None) -> Policy | None:
        """The version in force on ``on``; without a date, the latest version."""
        versions = self.versions(code)
        if on is not None:
            versions = [p for p in versions if p.in_effect_on(on)]
        return versions[-1] if versions else None

    def stacking_for(self, code: str) -> list[StackingRule]:
        return [rule for rule in self.stacking if rule.involves(code)]


# --- Certificate awards -------------------------------------------------------------------------


def _fen_text(amount_fen: int) -> str:
    yuan, fen = divmod(amount_fen, 100)
    return f"{yuan}.{fen:02d}" if fen else f"{yuan}"


def _cite(citation: Citation) -> str:
    mark = " (unverified)" if citation.unverified else ""
    return f"{citation.document} {citation.article}{mark}"


def _cite_zh(citation: Citation) -> str:
    mark = "（待核实）" if citation.unverified else ""
    return f"{citation.document}{citation.article}{mark}"


def trigger_key(policy_code: str, trigger: CertificateTrigger) -> str:
    """The key an entitlement is stored under once: ``{policy_code}:{certificate_id}:{kind}``; a
    renewal adds its date, since the same certificate passes a re-review every 3 years and each
    pass is its own trigger (Hubei's award for a 小巨人 passing its re-review)."""
    key = f"{policy_code}:{trigger.certificate_id}:{trigger.kind.value}"
    if trigger.kind is TriggerKind.CERTIFICATE_RENEWED:
        key += f":{trigger.occurred_on.isoformat()}"
    return key


def _paid(history: AwardHistory, code: str, own_key: str) -> list[PriorEntitlement]:
    """Non-cancelled entitlements with money under ``code``, other than this trigger's own."""
    return [
        e
        for e in history.entitlements
        if e.policy_code == code
        and not e.cancelled
        and e.amount_fen > 0
        and e.trigger_key != own_key
    ]


def proposals_for_certificate(
    book: PolicyBook, trigger: CertificateTrigger, history: AwardHistory
) -> list[EntitlementProposal]:
    """The entitlements a granted or renewed certificate gives (免申即享), one per policy whose
    trigger matches, in policy-code order. A policy that leaves nothing to pay (not a first
    certificate, already paid, a stacking rule) still gives a proposal of 0 with the reason.

    Deterministic: the same trigger and history always give the same proposals and keys, so a
    replayed event (whose own entitlement is in ``history`` under the same key) changes nothing.
    """
    if trigger.kind not in (TriggerKind.CERTIFICATE_GRANTED, TriggerKind.CERTIFICATE_RENEWED):
        raise ValueError(f"{trigger.kind} is not a certificate trigger")
    if trigger.tier not in TIERS or trigger.level not in LEVELS:
        # a misspelt tier ("specialized") would otherwise match nothing, silently
        raise ValueError(f"unknown tier or level {trigger.tier!r}/{trigger.level!r}")
    proposals: list[EntitlementProposal] = []
    matching = [
        p
        for p in book.policies_for(trigger.kind, trigger.province_code, trigger.occurred_on)
        if p.trigger.tier == trigger.tier and p.trigger.level == trigger.level
    ]
    for policy in matching:
        if not isinstance(policy.amount, FixedAmount):
            raise ValueError(f"{policy.code}: a certificate policy needs a fixed amount")
        key = trigger_key(policy.code, trigger)
        full = policy.amount.amount_fen
        lines = [
            ExplanationLine(
                "policy_applies",
                f"{policy.title_zh}：{_cite_zh(policy.citation)}，金额{_fen_text(full)}元。",
                f"{policy.title_en}: {_cite(policy.citation)}, amount {_fen_text(full)} yuan.",
            )
        ]
        if policy.amount.configurable:
            lines.append(
                ExplanationLine(
                    "amount_configurable",
                    "文件未规定金额，按配置金额计算，须核实。",
                    "The document sets no amount: the configured amount applies; confirm it.",
                )
            )
        amount = _first_only(policy, trigger, history, key, full, lines)
        # Earlier proposals of this same trigger count as earlier awards for stacking.
        extended = AwardHistory(
            history.certificates,
            history.entitlements
            + tuple(
                PriorEntitlement(p.trigger_key, p.policy_code, p.amount_fen, p.trigger_key)
                for p in proposals
            ),
        )
        if amount > 0:
            amount = _stacking(book, policy, extended, key, amount, lines)
        enterprise = policy.payee_kind == PayeeKind.ENTERPRISE
        proposals.append(
            EntitlementProposal(
                policy_code=policy.code,
                policy_version=policy.version,
                trigger_key=key,
                payee_kind=policy.payee_kind,
                payee_id=trigger.uscc if enterprise else trigger.city_code,
                uscc=trigger.uscc,
                region_code=trigger.city_code,
                fund_code=policy.fund_code,
                amount_fen=amount,
                full_amount_fen=full,
                explanation=tuple(lines),
            )
        )
    return proposals


def _first_only(
    policy: Policy,
    trigger: CertificateTrigger,
    history: AwardHistory,
    key: str,
    full: int,
    lines: list[ExplanationLine],
) -> int:
    if not policy.trigger.first_only:
        return full
    earlier = [
        c
        for c in history.certificates
        if c.tier == trigger.tier
        and c.level == trigger.level
        and c.certificate_id != trigger.certificate_id
    ]
    if earlier:
        first = min(earlier, key=lambda c: c.issued_on)
        lines.append(
            ExplanationLine(
                "first_only_not_first_certificate",
                f"仅奖励首次认定：该企业已于{first.issued_on.isoformat()}获得同级同类证书"
                f"（{first.certificate_id}），本次不予奖励。",
                f"Only a first certificate is awarded: the enterprise already held one of this "
                f"tier and level, issued {first.issued_on.isoformat()} ({first.certificate_id}); "
                f"nothing is paid.",
            )
        )
        return 0
    if _paid(history, policy.code, key):
        lines.append(
            ExplanationLine(
                "first_only_already_awarded",
                "仅奖励首次认定：该企业已获得本政策奖励，本次不予奖励。",
                "Only a first certificate is awarded: the enterprise already received this "
                "policy's award; nothing is paid.",
            )
        )
        return 0
    lines.append(
        ExplanationLine(
            "first_only_first_certificate",
            "首次认定：该企业此前未获得同级同类证书。",
            "First certificate: the enterprise held none of this tier and level before.",
        )
    )
    return full


def _stacking(
    book: PolicyBook,
    policy: Policy,
    history: AwardHistory,
    key: str,
    amount: int,
    lines: list[ExplanationLine],
) -> int:
    for rule in book.stacking_for(policy.code):
        other = rule.other(policy.code)
        earlier = _paid(history, other, key)
        paid = sum(e.amount_fen for e in earlier)
        cite, cite_zh = _cite(rule.citation), _cite_zh(rule.citation)
        if rule.kind == StackingKind.STACK:
            if earlier:
                lines.append(
                    ExplanationLine(
                        "stacked",
                        f"与{other}叠加（{cite_zh}）：已获{_fen_text(paid)}元，本项全额发放。",
                        f"Stacks with {other} ({cite}): {_fen_text(paid)} yuan already received, "
                        f"this is paid in full.",
                    )
                )
        elif rule.kind == StackingKind.HIGHEST_ONLY:
            if earlier:
                top_up = max(0, amount - paid)
                code = "highest_only_top_up" if top_up > 0 else "highest_only_nothing_more"
                lines.append(
                    ExplanationLine(
                        code,
                        f"与{other}就高奖励（{cite_zh}）：已获{_fen_text(paid)}元，"
                        f"本项仅发放差额{_fen_text(top_up)}元。",
                        f"Paid once at the higher amount with {other} ({cite}): "
                        f"{_fen_text(paid)} yuan already received, only the difference "
                        f"{_fen_text(top_up)} yuan is paid.",
                    )
                )
                amount = min(amount, top_up)
        elif rule.kind == StackingKind.FIRST_TIME_ONLY:
            if earlier:
                self_pair = other == policy.code
                lines.append(
                    ExplanationLine(
                        "first_time_only_already_paid",
                        (
                            f"每户仅奖励一次（{cite_zh}）：该企业已获得本政策奖励，本次不予发放。"
                            if self_pair
                            else f"与{other}仅奖励其一（{cite_zh}）：该企业已获{other}，本次不予发放。"
                        ),
                        (
                            f"Once per enterprise ({cite}): already received under this policy; "
                            f"nothing is paid."
                            if self_pair
                            else f"Only the first of this and {other} is paid ({cite}): {other} "
                            f"was paid; nothing is paid."
                        ),
                    )
                )
                amount = 0
        if amount == 0:
            break
    return amount


# --- Amounts from spend, units and officers ----------------------------------------------------


def share_of_fen(amount_fen: int, rate: Decimal) -> int:
    """``rate`` of an amount in whole fen, rounded half up (四舍五入), as ``sme_common.money`` does;
    written out here so this pure module depends on nothing but ``sme_common.rules``."""
    return int((Decimal(amount_fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _require_nonnegative(value: int, field_name: str) -> None:
    if value < 0:
        raise RuleViolation(
            "amount_negative",
            f"{field_name} cannot be negative.",
            f"{field_name}不能为负数。",
            field=field_name,
        )


def check_holder(policy: Policy, held_tiers: Iterable[str]) -> None:
    """A subsidy project's enterprise must hold one of the policy's ``holder_tiers`` (Hubei's
    技改 and R&D-platform support is for 专精特新 enterprises): a ``RuleViolation`` otherwise."""
    required = policy.trigger.holder_tiers
    if required and not set(required) & set(held_tiers):
        raise RuleViolation(
            "holder_tier_required",
            f"Policy {policy.code} is for enterprises holding one of: {', '.join(required)}.",
            f"政策{policy.code}仅适用于已认定为{'、'.join(required)}的企业。",
            field="uscc",
        )


def subsidy_amount(policy: Policy, declaration: SpendDeclaration) -> AmountDecision:
    """The subsidy a share-of-spend policy gives for accepted spend.

    ``eligible spend × rate``, rounded half up to the whole fen (四舍五入 at the fen: the spend is
    already in fen, so only the product has a fraction of a fen, and Chinese finance rounds half
    up, never half to even), then limited to the cap. Thresholds include their boundary (达到 …
    以上, 《民法典》第1259条). The officer's rate may not be below the policy's rate nor above its
    maximum.
    """
    rule = policy.amount
    if not isinstance(rule, ShareOfSpend):
        raise RuleViolation(
            "policy_not_spend_based",
            f"Policy {policy.code} does not give a share of spend.",
            f"政策{policy.code}不按投入比例补助。",
            field="policy_code",
        )
    spend = declaration.eligible_spend_fen
    _require_nonnegative(spend, "eligible_spend_fen")
    lines: list[ExplanationLine] = []
    if rule.spend_threshold_fen is not None and spend < rule.spend_threshold_fen:
        raise RuleViolation(
            "spend_below_threshold",
            f"Eligible spend {_fen_text(spend)} yuan is below the threshold of "
            f"{_fen_text(rule.spend_threshold_fen)} yuan ({_cite(policy.citation)}).",
            f"投入{_fen_text(spend)}元未达到{_fen_text(rule.spend_threshold_fen)}元门槛"
            f"（{_cite_zh(policy.citation)}）。",
            field="eligible_spend_fen",
        )
    if rule.investment_threshold_fen is not None:
        investment = declaration.total_investment_fen
        if investment is None:
            raise RuleViolation(
                "total_investment_required",
                f"Policy {policy.code} has a total-investment threshold: give the total investment.",
                f"政策{policy.code}有总投资门槛，须填写总投资。",
                field="total_investment_fen",
            )
        _require_nonnegative(investment, "total_investment_fen")
        if investment < rule.investment_threshold_fen:
            raise RuleViolation(
                "investment_below_threshold",
                f"Total investment {_fen_text(investment)} yuan is below the threshold of "
                f"{_fen_text(rule.investment_threshold_fen)} yuan ({_cite(policy.citation)}).",
                f"总投资{_fen_text(investment)}元未达到{_fen_text(rule.investment_threshold_fen)}元"
                f"门槛（{_cite_zh(policy.citation)}）。",
                field="total_investment_fen",
            )
    rate = rule.rate_ratio if declaration.rate_ratio is None else declaration.rate_ratio
    if rate > rule.max_rate_ratio:
        raise RuleViolation(
            "rate_above_maximum",
            f"Rate {rate} exceeds the policy's maximum of {rule.max_rate_ratio}.",
            f"补助比例{rate}超过政策最高比例{rule.max_rate_ratio}。",
            field="rate_ratio",
        )
    if rate < rule.rate_ratio:
        raise RuleViolation(
            "rate_below_policy",
            f"Rate {rate} is below the policy's rate of {rule.rate_ratio}.",
            f"补助比例{rate}低于政策比例{rule.rate_ratio}。",
            field="rate_ratio",
        )
    computed = share_of_fen(spend, rate)
    lines.append(
        ExplanationLine(
            "share_of_spend",
            f"{_fen_text(spend)}元 × {rate} = {_fen_text(computed)}元（四舍五入到分，"
            f"{_cite_zh(policy.citation)}）。",
            f"{_fen_text(spend)} yuan × {rate} = {_fen_text(computed)} yuan (rounded half up "
            f"to the fen, {_cite(policy.citation)}).",
        )
    )
    if rate != rule.rate_ratio:
        lines.append(
            ExplanationLine(
                "rate_raised",
                f"经办人将比例由{rule.rate_ratio}提高至{rate}（最高{rule.max_rate_ratio}）。",
                f"The officer raised the rate from {rule.rate_ratio} to {rate} "
                f"(at most {rule.max_rate_ratio}).",
            )
        )
    amount = computed
    if rule.cap_fen is not None and computed > rule.cap_fen:
        amount = rule.cap_fen
        lines.append(
            ExplanationLine(
                "capped",
                f"超过上限，按最高{_fen_text(rule.cap_fen)}元发放。",
                f"Above the cap: {_fen_text(rule.cap_fen)} yuan is paid.",
            )
        )
    return AmountDecision(amount_fen=amount, explanation=tuple(lines))


def unit_count_amount(policy: Policy, units: int) -> AmountDecision:
    """A per-unit award for ``units`` achieved (规下转规上: net new above-scale enterprises of a
    市州 in a year; a net decrease is 0 units)."""
    rule = policy.amount
    if not isinstance(rule, PerUnit):
        raise RuleViolation(
            "policy_not_per_unit",
            f"Policy {policy.code} does not pay per unit.",
            f"政策{policy.code}不按户数奖励。",
            field="policy_code",
        )
    _require_nonnegative(units, "units")
    amount = units * rule.unit_amount_fen
    line = ExplanationLine(
        "per_unit",
        f"{units}户 × {_fen_text(rule.unit_amount_fen)}元 = {_fen_text(amount)}元"
        f"（{_cite_zh(policy.citation)}）。",
        f"{units} units × {_fen_text(rule.unit_amount_fen)} yuan = {_fen_text(amount)} yuan "
        f"({_cite(policy.citation)}).",
    )
    return AmountDecision(amount_fen=amount, explanation=(line,))


def up_to_amount(policy: Policy, amount_fen: int) -> AmountDecision:
    """The amount an officer sets under an "up to" policy (Hubei industrial-internet node, 最高不超过
    100万元): refused above the cap."""
    rule = policy.amount
    if not isinstance(rule, UpTo):
        raise RuleViolation(
            "policy_not_up_to",
            f"Policy {policy.code} does not take an officer's amount.",
            f"政策{policy.code}不由经办人核定金额。",
            field="policy_code",
        )
    _require_nonnegative(amount_fen, "amount_fen")
    if amount_fen > rule.cap_fen:
        raise RuleViolation(
            "amount_above_cap",
            f"{_fen_text(amount_fen)} yuan exceeds the cap of {_fen_text(rule.cap_fen)} yuan "
            f"({_cite(policy.citation)}).",
            f"{_fen_text(amount_fen)}元超过上限{_fen_text(rule.cap_fen)}元"
            f"（{_cite_zh(policy.citation)}）。",
            field="amount_fen",
        )
    line = ExplanationLine(
        "officer_amount",
        f"经办人核定{_fen_text(amount_fen)}元（上限{_fen_text(rule.cap_fen)}元，"
        f"{_cite_zh(policy.citation)}）。",
        f"The officer set {_fen_text(amount_fen)} yuan (cap {_fen_text(rule.cap_fen)} yuan, "
        f"{_cite(policy.citation)}).",
    )
    return AmountDecision(amount_fen=amount_fen, explanation=(line,))
