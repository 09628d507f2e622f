"""Financing needs (融资需求库, seed 000 (十三) 2018 text: “建立‘专精特新’中小企业融资需求库”;
工企函〔2024〕107号: every enterprise of the 梯度培育库 files its financing needs) and their matching
to credit products, as rules.

Matching is a pure function of a need's profile and a product's terms: one criterion each for the
amount, the term, the tier, the industry section, the 市州 and the size class, each met or not with
its reason in English and Chinese. A product is **eligible** when every criterion is met; the
**score** (0–100) adds the weights (``data/matching_weights.json``, versioned) of the criteria met,
so that near misses rank above products that fit nothing.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sme_common.rules import RuleViolation


class NeedStatus(enum.StrEnum):
    OPEN = "open"  # filed; no eligible product yet
    MATCHED = "matched"  # eligible products found (institutions addressed or matched see it)
    IN_PROGRESS = "in_progress"  # an institution is handling it
    GRANTED = "granted"  # financed
    REFUSED = "refused"  # refused by the institution(s) handling it
    WITHDRAWN = "withdrawn"  # withdrawn by the enterprise or an officer


class Collateral(enum.StrEnum):
    NONE = "none"  # 纯信用
    REAL_ESTATE = "real_estate"  # 不动产抵押
    EQUIPMENT = "equipment"  # 机器设备抵押
    INVENTORY = "inventory"  # 存货质押
    RECEIVABLES = "receivables"  # 应收账款质押
    INTELLECTUAL_PROPERTY = "intellectual_property"  # 知识产权质押
    EQUITY = "equity"  # 股权质押
    GUARANTEE = "guarantee"  # 第三方（担保机构）保证


class Urgency(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"  # needed within the month


NEXT_STATUSES: Mapping[NeedStatus, frozenset[NeedStatus]] = {
    NeedStatus.OPEN: frozenset({NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.WITHDRAWN}),
    NeedStatus.MATCHED: frozenset({NeedStatus.OPEN, NeedStatus.IN_PROGRESS, NeedStatus.WITHDRAWN}),
    NeedStatus.IN_PROGRESS: frozenset(
        {NeedStatus.GRANTED, NeedStatus.REFUSED, NeedStatus.WITHDRAWN}
    ),
    NeedStatus.GRANTED: frozenset(),
    NeedStatus.REFUSED: frozenset({NeedStatus.OPEN}),
    NeedStatus.WITHDRAWN: frozenset(),
}
EDITABLE = frozenset({NeedStatus.OPEN, NeedStatus.MATCHED})
"""A need is changed by its filer only before an institution takes it up."""
FILER_STATUSES = frozenset({NeedStatus.WITHDRAWN})
"""The only status the enterprise or an officer sets; the others follow matching and the
institutions' responses."""


def check_status_change(current: NeedStatus, wanted: NeedStatus) -> None:
    if wanted != current and wanted not in NEXT_STATUSES[current]:
        raise RuleViolation(
            "need_transition_not_allowed",
            f"A {current} financing need cannot become {wanted}",
            f"融资需求不能从“{current}”变为“{wanted}”",
            field="status",
        )


def check_editable(current: NeedStatus) -> None:
    if current not in EDITABLE:
        raise RuleViolation(
            "need_not_editable",
            f"A {current} financing need can no longer be changed",
            f"处于“{current}”状态的融资需求不能再修改",
            field="status",
        )


def status_after_matching(current: NeedStatus, eligible: int) -> NeedStatus:
    """open ⇄ matched follows whether any product is eligible; later statuses stay."""
    if current is NeedStatus.OPEN and eligible:
        return NeedStatus.MATCHED
    if current is NeedStatus.MATCHED and not eligible:
        return NeedStatus.OPEN
    return current


@dataclass(frozen=True, slots=True)
class Weights:
    version: str
    amount: int
    term: int
    tier: int
    industry: int
    region: int
    size: int

    @classmethod
    @cache
    def load(cls) -> Weights:
        raw = json.loads(
            (
                resources.files("sme_finance_matching.needs.data") / "matching_weights.json"
            ).read_text("utf-8")
        )
        return cls(version=raw["version"], **raw["weights"])


@dataclass(frozen=True, slots=True)
class NeedProfile:
    """What a need asks and who asks it (the enterprise's place and industry from the register,
    its tier and size as filed)."""

    amount_fen: int
    term_months: int
    province_code: str
    reporting_unit_code: str
    industry_section: str | None
    tier: str | None
    size_class: str | None


@dataclass(frozen=True, slots=True)
class ProductTerms:
    product_id: str
    institution_id: str
    min_amount_fen: int
    max_amount_fen: int
    min_term_months: int
    max_term_months: int
    eligible_tiers: Sequence[str]
    eligible_industry_sections: Sequence[str]
    eligible_region_codes: Sequence[str]
    eligible_size_classes: Sequence[str]


@dataclass(frozen=True, slots=True)
class Criterion:
    name: str
    met: bool
    points: int
    max_points: int
    reason: str
    reason_zh: str


@dataclass(frozen=True, slots=True)
class Match:
    product_id: str
    institution_id: str
    score: int
    eligible: bool
    criteria: tuple[Criterion, ...]


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _range(
    name: str, weight: int, value: int, low: int, high: int, unit: str, unit_zh: str
) -> Criterion:
    met = low <= value <= high
    verdict, verdict_zh = ("within", "在") if met else ("outside", "不在")
    return Criterion(
        name,
        met,
        weight if met else 0,
        weight,
        f"{name} {value} {unit} is {verdict} the product's {low}–{high}",
        f"{'金额' if name == 'amount' else '期限'} {value}{unit_zh}{verdict_zh}产品范围 "
        f"{low}–{high}{unit_zh}内",
    )


def _listed(
    name: str,
    label_zh: str,
    weight: int,
    value: str | None,
    allowed: Sequence[str],
    *,
    also: Sequence[str] = (),
) -> Criterion:
    """Met when the product names no restriction, or names ``value`` (or one of ``also``)."""
    if not allowed:
        return Criterion(
            name, True, weight, weight, f"the product is open to any {name}", f"产品不限{label_zh}"
        )
    if value is None:
        return Criterion(
            name,
            False,
            0,
            weight,
            f"the product is for {name} {', '.join(allowed)}; the need does not say its {name}",
            f"产品限定{label_zh}为 {'、'.join(allowed)}，需求未填写{label_zh}",
        )
    met = value in allowed or any(a in allowed for a in also)
    return Criterion(
        name,
        met,
        weight if met else 0,
        weight,
        f"{name} {value} is {'' if met else 'not '}among the product's {', '.join(allowed)}",
        f"{label_zh} {value} {'属于' if met else '不属于'}产品限定的 {'、'.join(allowed)}",
    )


def profile_criteria(
    *,
    tier: str | None,
    industry_section: str | None,
    province_code: str,
    reporting_unit_code: str,
    size_class: str | None,
    product: ProductTerms,
    weights: Weights,
) -> tuple[Criterion, Criterion, Criterion, Criterion]:
    """The product's eligibility by who the enterprise is: tier, industry section, 市州 (or the
    whole province) and size class, in that order; ``None`` is "not known". The part of matching
    that needs no amount or term, so the enterprise push (``pushes``) tells an enterprise the
    products it is eligible for by the very same rules."""
    return (
        _listed("tier", "梯度层级", weights.tier, tier, product.eligible_tiers),
        _listed(
            "industry",
            "行业门类",
            weights.industry,
            industry_section,
            product.eligible_industry_sections,
        ),
        _listed(
            "region",
            "市州",
            weights.region,
            reporting_unit_code,
            product.eligible_region_codes,
            also=(province_code,),
        ),
        _listed("size", "企业规模", weights.size, size_class, product.eligible_size_classes),
    )


def match(need: NeedProfile, product: ProductTerms, weights: Weights) -> Match:
    """Score one product against one need, with the reason for each criterion."""
    amount = _range(
        "amount",
        weights.amount,
        need.amount_fen,
        product.min_amount_fen,
        product.max_amount_fen,
        "fen",
        "分",
    )
    term = _range(
        "term",
        weights.term,
        need.term_months,
        product.min_term_months,
        product.max_term_months,
        "months",
        "个月",
    )
    criteria = (
        amount,
        term,
        *profile_criteria(
            tier=need.tier,
            industry_section=need.industry_section,
            province_code=need.province_code,
            reporting_unit_code=need.reporting_unit_code,
            size_class=need.size_class,
            product=product,
            weights=weights,
        ),
    )
    return Match(
        product_id=product.product_id,
        institution_id=product.institution_id,
        score=sum(c.points for c in criteria),
        eligible=all(c.met for c in criteria),
        criteria=criteria,
    )


def rank(
    need: NeedProfile,
    products: Sequence[ProductTerms],
    weights: Weights,
    *,
    addressed: Sequence[str] = (),
) -> list[Match]:
    """Every product scored, eligible first, then by score, then by id. A need addressed to
    chosen institutions is matched to their products only."""
    chosen = [p for p in products if not addressed or p.institution_id in addressed]
    matches = [match(need, p, weights) for p in chosen]
    return sorted(matches, key=lambda m: (not m.eligible, -m.score, m.product_id))
