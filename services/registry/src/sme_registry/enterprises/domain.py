"""Rules of the register that need no database: identity, region and industry of an enterprise."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sme_common.ids import UsccError, validate_uscc
from sme_common.reference.industries import IndustryCatalog, IndustryCodeError, Section
from sme_common.reference.regions import RegionCatalog, ReportingUnit
from sme_common.rules import RuleViolation
from sme_common.text import TextError, clean_text, fold

LANZHOU_NEW_AREA = "620171"  # 兰州新区: a reporting unit with no GB/T 2260 code (policy-facts §5.1)
LANZHOU = "620100"


class OperatingStatus(enum.StrEnum):
    OPERATING = "operating"  # 存续（在营、开业、在册）
    SUSPENDED = "suspended"  # 停业
    DEREGISTERED = "deregistered"  # 注销
    REVOKED = "revoked"  # 吊销


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
        raise RuleViolation("uscc_invalid", exc.detail, exc.detail_zh, field="uscc") from exc


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
        raise RuleViolation(
            "region_unknown",
            f"{region_code} is not a region of a reporting unit this platform serves",
            f"行政区划代码 {region_code} 不属于本平台服务的市州",
            field="region_code",
        )
    if requested_unit is None or requested_unit == derived.code:
        return derived
    if requested_unit == LANZHOU_NEW_AREA and derived.code in (LANZHOU, LANZHOU_NEW_AREA):
        unit = catalog.reporting_unit_for(LANZHOU_NEW_AREA)
        assert unit is not None
        return unit
    raise RuleViolation(
        "reporting_unit_mismatch",
        f"region {region_code} reports to {derived.code}, not {requested_unit}",
        f"行政区划 {region_code} 应隶属 {derived.code}，而非 {requested_unit}",
        field="reporting_unit_code",
    )


def check_region(region_code: str, catalog: RegionCatalog, *, on: date) -> None:
    if not catalog.is_valid(region_code, year=on.year):
        raise RuleViolation(
            "region_unknown",
            f"{region_code} is not a GB/T 2260 code in force in {on.year}",
            f"{region_code} 不是 {on.year} 年有效的 GB/T 2260 行政区划代码",
            field="region_code",
        )


def check_industry(code: str | None, catalog: IndustryCatalog) -> tuple[str | None, Section | None]:
    if code is None:
        return None, None
    try:
        return catalog.normalize(code), catalog.section_for(code)
    except IndustryCodeError as exc:
        raise RuleViolation(
            "industry_code_invalid", exc.detail, exc.detail_zh, field="industry_code"
        ) from exc


def check_founding(founded_on: date | None, today: date) -> None:
    if founded_on is not None and founded_on > today:
        raise RuleViolation(
            "founded_on_in_future",
            "founding date lies in the future",
            "成立日期不能晚于今天",
            field="founded_on",
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


def changed_fields(
    current: Mapping[str, Any],
    wanted: Mapping[str, Any],
    *,
    regions: RegionCatalog,
    industries: IndustryCatalog,
    today: date,
) -> dict[str, Any]:
    """What an update changes: the ``wanted`` values, checked and completed like a registration
    (a new region brings its reporting unit), that differ from ``current``."""
    wanted = dict(wanted)
    if "name" in wanted and wanted["name"] is None:
        raise RuleViolation(
            "name_required", "name cannot be removed", "企业名称不能为空", field="name"
        )
    if "region_code" in wanted or "reporting_unit_code" in wanted:
        region = wanted.get("region_code") or current["region_code"]
        check_region(region, regions, on=today)
        unit = resolve_reporting_unit(region, wanted.get("reporting_unit_code"), regions)
        wanted.update(region_code=region, reporting_unit_code=unit.code)
    if wanted.get("industry_code") is not None:
        wanted["industry_code"], _section = check_industry(wanted["industry_code"], industries)
    if "founded_on" in wanted:
        check_founding(wanted["founded_on"], today)
    if "operating_status" in wanted and wanted["operating_status"] is None:
        raise RuleViolation(
            "operating_status_required",
            "operating status cannot be removed",
            "经营状态不能为空",
            field="operating_status",
        )
    if wanted.get("operating_status") is not None:
        wanted["operating_status"] = OperatingStatus(wanted["operating_status"]).value
    return {k: v for k, v in wanted.items() if current[k] != v}


def search_text(q: str | None) -> str | None:
    """The name fragment a search compares: clean (no control or format characters), then folded
    (NFKC, case, blanks) like the stored names it is compared with."""
    if q is None:
        return None
    try:
        folded = fold(clean_text(q))
    except TextError as exc:
        raise RuleViolation(exc.code, exc.detail, exc.detail_zh, field="q") from exc
    if len(folded) < 2:
        raise RuleViolation(
            "q_too_short",
            "q needs at least two characters besides blanks",
            "名称关键字至少需要两个字符（不含空格）",
            field="q",
        )
    return folded
