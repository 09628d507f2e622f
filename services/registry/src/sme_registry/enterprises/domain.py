"""Rules of the register that need no database: identity, region and industry of an enterprise."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sme_common.ids import UsccError, validate_uscc
from sme_common.reference.industries import IndustryCatalog, IndustryCodeError, Section
from sme_common.reference.regions import RegionCatalog, ReportingUnit

LANZHOU_NEW_AREA = "620171"  # 兰州新区: a reporting unit with no GB/T 2260 code (policy-facts §5.1)
LANZHOU = "620100"


class OperatingStatus(enum.StrEnum):
    OPERATING = "operating"  # 存续（在营、开业、在册）
    SUSPENDED = "suspended"  # 停业
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 吊销


class EnterpriseRuleError(ValueError):
    def __init__(self, code: str, field: str, detail: str, detail_zh: str) -> None:
        super().__init__(detail)
        self.code, self.field, self.detail, self.detail_zh = code, field, detail, detail_zh


@dataclass(frozen=True)
class EnterpriseIdentity:
    uscc: str
    region_code: str
    reporting_unit: ReportingUnit
    industry_code: str | None
    industry_section: Section | None


def check_uscc(value: str) -> str:
    try:
        return validate_uscc(value)
    except UsccError as exc:
        raise EnterpriseRuleError("uscc_invalid", "uscc", exc.detail, exc.detail_zh) from exc


def resolve_reporting_unit(
    region_code: str, requested_unit: str | None, catalog: RegionCatalog
) -> ReportingUnit:
    """The 市州 an enterprise reports to, from its registration region.

    An enterprise in 兰州新区 is registered in a 兰州 county (永登县, 皋兰县) but reports to the new
    area, which the provincial documents treat as a unit parallel to the 14 市州 (seeds 000, 001:
    "各市州、兰州新区"); the caller says so with ``reporting_unit_code=620171``.
    """
    derived = catalog.reporting_unit_for(region_code)
    if derived is None:
        raise EnterpriseRuleError(
            "region_unknown",
            "region_code",
            f"{region_code} is not a region of a reporting unit this platform serves",
            f"行政区划代码 {region_code} 不属于本平台服务的市州",
        )
    if requested_unit is None or requested_unit == derived.code:
        return derived
    if requested_unit == LANZHOU_NEW_AREA and derived.code in (LANZHOU, LANZHOU_NEW_AREA):
        unit = catalog.reporting_unit_for(LANZHOU_NEW_AREA)
        assert unit is not None
        return unit
    raise EnterpriseRuleError(
        "reporting_unit_mismatch",
        "reporting_unit_code",
        f"region {region_code} reports to {derived.code}, not {requested_unit}",
        f"行政区划 {region_code} 应隶属 {derived.code}，而非 {requested_unit}",
    )


def check_region(region_code: str, catalog: RegionCatalog, *, on: date) -> None:
    if not catalog.is_valid(region_code, year=on.year):
        raise EnterpriseRuleError(
            "region_unknown",
            "region_code",
            f"{region_code} is not a GB/T 2260 code in force in {on.year}",
            f"{region_code} 不是 {on.year} 年有效的 GB/T 2260 行政区划代码",
        )


def check_industry(code: str | None, catalog: IndustryCatalog) -> tuple[str | None, Section | None]:
    if code is None:
        return None, None
    try:
        return catalog.normalize(code), catalog.section_for(code)
    except IndustryCodeError as exc:
        raise EnterpriseRuleError(
            "industry_code_invalid", "industry_code", exc.detail, exc.detail_zh
        ) from exc


def check_founding(founded_on: date | None, today: date) -> None:
    if founded_on is not None and founded_on > today:
        raise EnterpriseRuleError(
            "founded_on_in_future",
            "founded_on",
            "founding date lies in the future",
            "成立日期不能晚于今天",
        )


def identify(
    *,
    uscc: str,
    region_code: str,
    reporting_unit_code: str | None,
    industry_code: str | None,
    founded_on: date | None,
    today: date,
    regions: RegionCatalog,
    industries: IndustryCatalog,
) -> EnterpriseIdentity:
    """Validate everything about a new enterprise that does not need the database."""
    normalized = check_uscc(uscc)
    check_region(region_code, regions, on=today)
    unit = resolve_reporting_unit(region_code, reporting_unit_code, regions)
    industry, section = check_industry(industry_code, industries)
    check_founding(founded_on, today)
    return EnterpriseIdentity(normalized, region_code, unit, industry, section)
