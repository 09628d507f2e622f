"""Financial institutions (金融机构: banks, government guarantee agencies, insurers, securities firms)
as rules: their kinds, statuses, the 市州 and tiers they serve, and which machine role acts for which
kind.

The province pushes its list of certified enterprises and its credit-product catalogue to the
institutions (seed 000 (十三): “建立专精特新企业名单和专精特新企业信贷产品目录共享机制，定期推送给
金融机构和专精特新企业”; seed 004 九: 名单推送共享机制). What an institution receives is scoped by
``region_codes`` (the 市州 it serves, or its whole province) and ``tiers``: ``serves`` is that scope,
the one a snapshot of the list will be cut by.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence

from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation


class InstitutionKind(enum.StrEnum):
    BANK = "bank"  # 银行业金融机构
    GUARANTEE_AGENCY = "guarantee_agency"  # 融资担保机构 (政府性融资担保, 财金〔2025〕11号)
    INSURER = "insurer"  # 保险机构
    SECURITIES_FIRM = "securities_firm"  # 证券公司


class InstitutionStatus(enum.StrEnum):
    ACTIVE = "active"  # receives lists, publishes products, sees the needs addressed to it
    SUSPENDED = "suspended"  # its products leave the catalogue; it is sent nothing


class Tier(enum.StrEnum):
    """The tiers of 优质中小企业梯度培育 an institution serves and a product is for."""

    INNOVATIVE = "innovative"  # 创新型（科技和创新型）中小企业
    SPECIALISED = "specialised"  # 专精特新中小企业
    LITTLE_GIANT = "little_giant"  # 专精特新“小巨人”企业


MACHINE_ROLE_KINDS: Mapping[str, frozenset[InstitutionKind]] = {
    "bank": frozenset(
        {InstitutionKind.BANK, InstitutionKind.INSURER, InstitutionKind.SECURITIES_FIRM}
    ),
    "guarantor": frozenset({InstitutionKind.GUARANTEE_AGENCY}),
}
"""Which institutions a client of each machine role may act for: a ``guarantor`` token only for a
guarantee agency, a ``bank`` token for a bank, an insurer or a securities firm (the platform's roles
know no insurer or securities-firm role of their own)."""


def role_may_act_for(roles: Iterable[str], kind: InstitutionKind) -> bool:
    return any(kind in MACHINE_ROLE_KINDS.get(role, frozenset()) for role in roles)


def check_province(province_code: str, catalog: RegionCatalog) -> None:
    region = catalog.get(province_code)
    if region is None or region.level != "province" or region.valid_to_year is not None:
        raise RuleViolation(
            "province_unknown",
            f"{province_code} is not a province in force",
            f"{province_code} 不是现行有效的省级行政区划代码",
            field="province_code",
        )


def check_region_codes(
    province_code: str, region_codes: Sequence[str], catalog: RegionCatalog, *, field: str
) -> list[str]:
    """The 市州 (reporting units, 兰州新区 included) of the province, or the province's own code for
    all of it; sorted and without repeats."""
    units = {unit.code for unit in catalog.reporting_units(province_code)} | {province_code}
    for code in region_codes:
        if code not in units:
            raise RuleViolation(
                "region_not_served_unit",
                f"{code} is neither {province_code} nor one of its 市州",
                f"{code} 既不是 {province_code}，也不是其所辖市州",
                field=field,
            )
    return sorted(set(region_codes))


def serves(
    region_codes: Sequence[str],
    tiers: Sequence[str],
    *,
    province_code: str,
    reporting_unit_code: str,
    tier: str,
) -> bool:
    """Whether an institution serving ``region_codes`` and ``tiers`` is sent an enterprise of
    ``tier`` in the 市州 ``reporting_unit_code`` (what a list snapshot for it includes)."""
    in_region = province_code in region_codes or reporting_unit_code in region_codes
    return in_region and reporting_unit_code.startswith(province_code[:2]) and tier in tiers
