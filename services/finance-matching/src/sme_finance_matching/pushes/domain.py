"""Enterprise push (名单和信贷产品目录推送给专精特新企业): the pure rules of what one certified
enterprise is pushed.

Seed 000 (十三): “建立专精特新企业名单和专精特新企业信贷产品目录共享机制，定期推送给金融机构和专精特新
企业”. Institutions get signed snapshots (``lists``); each enterprise holding a valid title gets, on
the same schedule, its own push: its list entry (tier, certificate and its validity, region), the
institutions whose snapshots of the period include it (names and kinds only), and the credit
products of the catalogue it is eligible for, each with a short reason.

Eligibility is the matching rule of ``needs.domain.profile_criteria`` (tier, industry section, 市州,
size class), not a copy of it. What the platform does not know about the enterprise (its size class
(划型), which finance-matching does not receive yet; an industry the register does not give) cannot
rule a product out: such a criterion is listed under ``to_confirm`` (the institution checks it),
while a criterion that is known and not met does rule the product out.

The content is plain JSON (strings, integers, lists, objects; no floats); its checksum is the
SHA-256 of its canonical form: sorted keys, no spaces, UTF-8 unescaped, as ``canonical`` writes it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sme_finance_matching.lists.domain import Schedule, period_of
from sme_finance_matching.needs.domain import ProductTerms, Weights, profile_criteria

CONTENT_VERSION = "1"
_RESTRICTIONS = {
    "tier": "eligible_tiers",
    "industry": "eligible_industry_sections",
    "region": "eligible_region_codes",
    "size": "eligible_size_classes",
}
_LABELS_ZH = {"tier": "梯度层级", "industry": "行业门类", "region": "市州", "size": "企业规模"}


@dataclass(frozen=True, slots=True)
class Period:
    """One push period: its key (``2026-11``) and its business days ``[starts_on, ends_before)``."""

    key: str
    starts_on: date
    ends_before: date


def push_period(today: date, schedule: Schedule) -> Period:
    """The period ``today`` falls in, on the schedule of the bank snapshots; with the schedule
    ``off`` (nothing scheduled) a push on demand still counts by month, so an enterprise is
    pushed at most once a month."""
    if schedule is Schedule.OFF:
        schedule = Schedule.MONTHLY
    key = period_of(today, schedule)
    assert key is not None
    if schedule is Schedule.MONTHLY:
        start = today.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    elif schedule is Schedule.WEEKLY:
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=7)
    else:
        start, end = today, today + timedelta(days=1)
    return Period(key, start, end)


@dataclass(frozen=True, slots=True)
class ListedEnterprise:
    """An enterprise's entry of the list (认定企业名单), as finance-matching knows it."""

    uscc: str
    name: str
    tier: str
    level: str
    certificate_id: str
    issued_on: date
    expires_on: date
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    industry_section: str | None
    size_class: str | None

    @property
    def province_code(self) -> str:
        return self.reporting_unit_code[:2] + "0000"

    def entry(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "tier": self.tier,
            "level": self.level,
            "certificate_id": self.certificate_id,
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "region_code": self.region_code,
            "reporting_unit_code": self.reporting_unit_code,
            "industry_code": self.industry_code,
            "size_class": self.size_class,
        }


@dataclass(frozen=True, slots=True)
class CatalogueProduct:
    """A product of the catalogue: its terms (what eligibility reads) and what the enterprise is
    shown of it (plain JSON values)."""

    terms: ProductTerms
    shown: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Eligibility:
    product_id: str
    reason: str
    reason_zh: str
    to_confirm: tuple[str, ...]


def eligibility(
    enterprise: ListedEnterprise, product: ProductTerms, weights: Weights
) -> Eligibility | None:
    """Whether ``enterprise`` is eligible for ``product`` and why (None: it is not).

    Every criterion the platform can check must be met; one it cannot (the enterprise's value is
    not known) is left to the institution (``to_confirm``). The reason names the product's
    restrictions the enterprise meets, or says the product is open to every certified
    enterprise."""
    criteria = profile_criteria(
        tier=enterprise.tier,
        industry_section=enterprise.industry_section,
        province_code=enterprise.province_code,
        reporting_unit_code=enterprise.reporting_unit_code,
        size_class=enterprise.size_class,
        product=product,
        weights=weights,
    )
    known = {
        "tier": True,
        "industry": enterprise.industry_section is not None,
        "region": True,
        "size": enterprise.size_class is not None,
    }
    reasons: list[str] = []
    reasons_zh: list[str] = []
    to_confirm: list[str] = []
    for criterion in criteria:
        allowed: Sequence[str] = getattr(product, _RESTRICTIONS[criterion.name])
        if criterion.met:
            if allowed:
                reasons.append(criterion.reason)
                reasons_zh.append(criterion.reason_zh)
        elif known[criterion.name]:
            return None
        else:
            to_confirm.append(criterion.name)
            label = _LABELS_ZH[criterion.name]
            reasons.append(
                f"the product is for {criterion.name} {', '.join(allowed)}; the platform does not "
                f"know yours: the institution confirms it"
            )
            reasons_zh.append(
                f"产品限定{label}为 {'、'.join(allowed)}，平台暂无贵企业的{label}，由金融机构核实"
            )
    if not reasons:
        reasons.append("the product is open to any tier, industry, 市州 and size")
        reasons_zh.append("产品不限梯度层级、行业门类、市州和企业规模")
    return Eligibility(
        product.product_id, "; ".join(reasons), "；".join(reasons_zh), tuple(to_confirm)
    )


def eligible_products(
    enterprise: ListedEnterprise, catalogue: Sequence[CatalogueProduct], weights: Weights
) -> list[dict[str, Any]]:
    """The catalogue's products the enterprise is eligible for, in product id order, each as it is
    shown with its reason."""
    offered = []
    for product in sorted(catalogue, key=lambda p: p.terms.product_id):
        verdict = eligibility(enterprise, product.terms, weights)
        if verdict is not None:
            offered.append(
                {
                    **product.shown,
                    "reason": verdict.reason,
                    "reason_zh": verdict.reason_zh,
                    "to_confirm": list(verdict.to_confirm),
                }
            )
    return offered


def content(
    *,
    push_id: str,
    enterprise: ListedEnterprise,
    period: str,
    trigger: str,
    generated_at: str,
    institutions: Sequence[tuple[str, str]],
    products: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """One enterprise's push: its entry, the institutions (name, kind) whose snapshots of the
    period include it, and its eligible products."""
    return {
        "content_version": CONTENT_VERSION,
        "push_id": push_id,
        "uscc": enterprise.uscc,
        "period": period,
        "trigger": trigger,
        "generated_at": generated_at,
        "entry": enterprise.entry(),
        "institutions": [{"name": n, "kind": k} for n, k in sorted(set(institutions))],
        "products": list(products),
    }


def canonical(value: Mapping[str, Any]) -> bytes:
    """The bytes the checksum covers: sorted keys, no spaces, UTF-8 unescaped."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(value: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()
