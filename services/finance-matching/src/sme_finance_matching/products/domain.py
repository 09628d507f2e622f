"""Credit products (信贷产品) as rules: their types, statuses and the consistency of their terms.

A product is offered by one institution; its catalogue (专精特新企业信贷产品目录) is shared with
institutions and enterprises (seed 000 (十三)). Ranges are inclusive; an empty eligibility list
means "any". Rates and fees are annual ratios (``Decimal``, ``"0.0385"`` = 3.85 %).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sme_common.reference.industries import IndustryCatalog
from sme_common.rules import RuleViolation


class ProductType(enum.StrEnum):
    CREDIT_LOAN = "credit_loan"  # 信用贷款
    GUARANTEED_LOAN = "guaranteed_loan"  # 担保贷款
    IP_PLEDGE = "ip_pledge"  # 知识产权质押融资
    RECEIVABLES = "receivables"  # 应收账款融资
    SUPPLY_CHAIN = "supply_chain"  # 供应链金融
    OTHER = "other"


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"  # seen only by its institution and officers
    ACTIVE = "active"  # in the catalogue, matched to needs
    WITHDRAWN = "withdrawn"  # out of the catalogue; may be offered again


class SizeClass(enum.StrEnum):
    """Enterprise size (划型, 工信部联企业〔2011〕300号)."""

    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


NEXT_STATUSES: Mapping[ProductStatus, frozenset[ProductStatus]] = {
    ProductStatus.DRAFT: frozenset({ProductStatus.ACTIVE, ProductStatus.WITHDRAWN}),
    ProductStatus.ACTIVE: frozenset({ProductStatus.WITHDRAWN}),
    ProductStatus.WITHDRAWN: frozenset({ProductStatus.ACTIVE}),
}


def check_status_change(current: ProductStatus, wanted: ProductStatus) -> None:
    if wanted != current and wanted not in NEXT_STATUSES[current]:
        raise RuleViolation(
            "product_transition_not_allowed",
            f"A {current} product cannot become {wanted}",
            f"信贷产品不能从“{current}”变为“{wanted}”",
            field="status",
        )


def check_range(low: int | Decimal, high: int | Decimal, *, field: str) -> None:
    if high < low:
        raise RuleViolation(
            "range_inverted",
            f"max_{field} is below min_{field}",
            f"{field} 的上限低于下限",
            field=f"max_{field}",
        )


def check_sections(sections: Sequence[str], catalog: IndustryCatalog) -> list[str]:
    """GB/T 4754 sections (门类, one letter A–T), sorted and without repeats."""
    known = {s.code for s in catalog.sections()}
    for code in sections:
        if code not in known:
            raise RuleViolation(
                "industry_section_unknown",
                f"{code} is not a section of GB/T 4754-2017",
                f"{code} 不是国民经济行业分类（GB/T 4754-2017）门类",
                field="eligible_industry_sections",
            )
    return sorted(set(sections))
