"""Who is calling: roles, region (GB/T 2260 code or reporting unit) and client scopes.

Region scope (product.md, api-guidelines.md): a province officer sees the province, a 市州 officer
their reporting unit, a 县区 officer their county; 兰州新区 is a reporting unit of its own (620171).
The scope is turned into a WHERE clause, never applied by filtering results afterwards.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, true

from sme_common.errors import Forbidden
from sme_common.reference.regions import RegionCatalog


class Role(enum.StrEnum):
    PROVINCE_OFFICER = "province_officer"
    CITY_OFFICER = "city_officer"
    COUNTY_OFFICER = "county_officer"
    EXPERT = "expert"
    BANK = "bank"
    GUARANTOR = "guarantor"
    HOTLINE = "hotline"
    AGENCY_SYSTEM = "agency_system"
    PLATFORM_ADMIN = "platform_admin"


OFFICER_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER})
# Machine clients act only within the scopes their token carries (``registry:read`` …).
MACHINE_ROLES = frozenset({Role.AGENCY_SYSTEM, Role.BANK, Role.GUARANTOR, Role.HOTLINE})


class RegionLevel(enum.StrEnum):
    ALL = "all"
    PROVINCE = "province"
    REPORTING_UNIT = "reporting_unit"
    COUNTY = "county"
    NONE = "none"


@dataclass(frozen=True)
class RegionScope:
    level: RegionLevel
    code: str | None = None

    def clause(self, region_col: Any, reporting_unit_col: Any) -> ColumnElement[bool]:
        """The WHERE clause limiting rows (with these region / reporting-unit columns) to the scope."""
        if self.level is RegionLevel.ALL:
            return true()
        if self.level is RegionLevel.PROVINCE and self.code:
            return region_col.like(f"{self.code[:2]}%")  # type: ignore[no-any-return]
        if self.level is RegionLevel.REPORTING_UNIT:
            return reporting_unit_col == self.code  # type: ignore[no-any-return]
        if self.level is RegionLevel.COUNTY:
            return region_col == self.code  # type: ignore[no-any-return]
        return false()

    def covers(self, region_code: str, reporting_unit_code: str) -> bool:
        if self.level is RegionLevel.ALL:
            return True
        if self.level is RegionLevel.PROVINCE and self.code:
            return region_code.startswith(self.code[:2])
        if self.level is RegionLevel.REPORTING_UNIT:
            return reporting_unit_code == self.code
        if self.level is RegionLevel.COUNTY:
            return region_code == self.code
        return False


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[str]
    region: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    client_id: str | None = None
    organisation: str | None = None

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_machine(self) -> bool:
        return bool(self.roles & MACHINE_ROLES) and not self.roles & (
            OFFICER_ROLES | {Role.PLATFORM_ADMIN}
        )

    def region_scope(self) -> RegionScope:
        """Officers and agency systems by their region claim; a platform admin sees everything.

        No region claim means nothing (fail closed), except for the platform admin.
        """
        if Role.PLATFORM_ADMIN in self.roles:
            return RegionScope(RegionLevel.ALL)
        if not self.region:
            return RegionScope(RegionLevel.NONE)
        return region_scope_for(self.region)


def region_scope_for(code: str) -> RegionScope:
    """The scope of a region claim, by the catalogue: a code it does not know (``%%0000``,
    ``629999``) or no longer in force sees nothing, whatever its shape."""
    catalog = RegionCatalog.load()
    region = catalog.get(code)
    if region is None or region.valid_to_year is not None:
        return RegionScope(RegionLevel.NONE)
    if region.level == "province":
        return RegionScope(RegionLevel.PROVINCE, code)
    unit = catalog.reporting_unit_for(code)
    if unit is not None and unit.code == code:
        return RegionScope(RegionLevel.REPORTING_UNIT, code)
    if region.level == "county":
        return RegionScope(RegionLevel.COUNTY, code)
    return RegionScope(RegionLevel.NONE)


# The scope level an officer role's region claim must have (architecture.md, "Access").
_OFFICER_LEVELS = {
    Role.PROVINCE_OFFICER: RegionLevel.PROVINCE,
    Role.CITY_OFFICER: RegionLevel.REPORTING_UNIT,
    Role.COUNTY_OFFICER: RegionLevel.COUNTY,
}


def check_region_claim(roles: frozenset[str], region: str | None) -> None:
    """Refuse a region claim the catalogue does not know, or one that does not fit an officer role
    (a county officer with a province code would otherwise see the province).

    No claim is allowed: officers without one see nothing, a platform admin sees everything.
    """
    if region is None:
        return
    scope = region_scope_for(region)
    if scope.level is RegionLevel.NONE:
        raise Forbidden(
            "region_unknown",
            f"The token's region claim {region!r} is not a region in force",
            f"令牌中的地区代码 {region} 不是现行有效的行政区划代码",
            field="region",
        )
    for role, level in _OFFICER_LEVELS.items():
        if role in roles and scope.level is not level:
            raise Forbidden(
                "region_role_mismatch",
                f"A {role} needs a {level} region code, not {region}",
                f"角色 {role} 的地区代码应为{_LEVEL_ZH[level]}级，{region} 不符",
                field="region",
            )


_LEVEL_ZH = {
    RegionLevel.PROVINCE: "省",
    RegionLevel.REPORTING_UNIT: "市州（含兰州新区）",
    RegionLevel.COUNTY: "县区",
}
