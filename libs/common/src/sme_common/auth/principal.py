"""Who is calling: roles, region (GB/T 2260 code or reporting unit), client scopes, and for an
enterprise (企业用户) the USCC it files for.

Region scope (product.md, api-guidelines.md): a province officer sees the province, a 市州 officer
their reporting unit, a 县区 officer their county; 兰州新区 is a reporting unit of its own (620171).
An enterprise sees itself and nothing else (issue 8: "sees only its own enterprise here and in every
other service"). The scope is turned into a WHERE clause, never applied by filtering results
afterwards.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, true

from sme_common.errors import Forbidden
from sme_common.ids import UsccError, validate_uscc
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
    ENTERPRISE = "enterprise"
    """A person acting for one enterprise, named by the token's ``uscc`` claim (in production the
    province's OIDC provider issues it; embedded, ``sme-token mint --role enterprise --uscc …``)."""


OFFICER_ROLES = frozenset({Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER})
# Machine clients act only within the scopes their token carries (``registry:read`` …).
MACHINE_ROLES = frozenset({Role.AGENCY_SYSTEM, Role.BANK, Role.GUARANTOR, Role.HOTLINE})


class RegionLevel(enum.StrEnum):
    ALL = "all"
    PROVINCE = "province"
    REPORTING_UNIT = "reporting_unit"
    COUNTY = "county"
    ENTERPRISE = "enterprise"
    """One enterprise, by its USCC, wherever it is registered."""
    NONE = "none"


@dataclass(frozen=True)
class RegionScope:
    level: RegionLevel
    code: str | None = None
    """The region code (province, reporting unit, county); for ``ENTERPRISE``, the USCC."""

    @classmethod
    def of_enterprise(cls, uscc: str) -> RegionScope:
        return cls(RegionLevel.ENTERPRISE, uscc)

    def clause(
        self, region_col: Any, reporting_unit_col: Any, *, uscc_col: Any = None
    ) -> ColumnElement[bool]:
        """The WHERE clause limiting rows (with these region / reporting-unit columns) to the scope.

        An enterprise scope needs ``uscc_col``; rows that carry no USCC (people, import jobs) are
        nobody's own enterprise, so without it the clause is ``false()`` (fail closed)."""
        if self.level is RegionLevel.ENTERPRISE:
            if uscc_col is None or not self.code:
                return false()
            return uscc_col == self.code  # type: ignore[no-any-return]
        if self.level is RegionLevel.ALL:
            return true()
        if self.level is RegionLevel.PROVINCE and self.code:
            return region_col.like(f"{self.code[:2]}%")  # type: ignore[no-any-return]
        if self.level is RegionLevel.REPORTING_UNIT:
            return reporting_unit_col == self.code  # type: ignore[no-any-return]
        if self.level is RegionLevel.COUNTY:
            return region_col == self.code  # type: ignore[no-any-return]
        return false()

    def covers(
        self, region_code: str, reporting_unit_code: str, *, uscc: str | None = None
    ) -> bool:
        """Whether a place (and, for an enterprise scope, the enterprise ``uscc``) is in scope.

        An enterprise scope covers only its own USCC: a place alone (where to register or move an
        enterprise) is never an enterprise's to choose."""
        if self.level is RegionLevel.ENTERPRISE:
            return uscc is not None and uscc == self.code
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
    uscc: str | None = None
    """The enterprise an ``enterprise`` token acts for (its ``uscc`` claim); None for every other
    role (the verifier refuses the claim on them: ``check_uscc_claim``)."""

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_machine(self) -> bool:
        return bool(self.roles & MACHINE_ROLES) and not self.roles & (
            OFFICER_ROLES | {Role.PLATFORM_ADMIN}
        )

    def region_scope(self) -> RegionScope:
        """Officers and agency systems by their region claim; a platform admin sees everything;
        an enterprise sees its own USCC.

        No region claim means nothing (fail closed), except for the platform admin; an enterprise
        without a USCC sees nothing (the verifier refuses such a token before it gets here).
        """
        if Role.ENTERPRISE in self.roles:
            # Checked first: whatever else a token might claim, an enterprise's view is itself.
            if not self.uscc:
                return RegionScope(RegionLevel.NONE)
            return RegionScope.of_enterprise(self.uscc)
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


def check_uscc_claim(roles: frozenset[str], uscc: str | None, region: str | None) -> str | None:
    """The USCC an ``enterprise`` token acts for, normalised, or None for other roles.

    Refused (403, field ``uscc``): an enterprise token without a ``uscc`` claim
    (``uscc_claim_missing``) or with one that is not a valid code under GB 32100-2015
    (``uscc_claim_invalid``); an enterprise role together with any other role or with a ``region``
    claim (``enterprise_role_exclusive``: a person acting for an enterprise is not an officer at
    the same time, and its place is the register's, not the token's); a ``uscc`` claim on a token
    without the enterprise role (``uscc_claim_unexpected``: a provider that binds officers to an
    enterprise is misconfigured, and we would rather say so than guess which view it meant).
    """
    if Role.ENTERPRISE not in roles:
        if uscc is not None:
            raise Forbidden(
                "uscc_claim_unexpected",
                "Only an enterprise token may carry a uscc claim",
                "只有企业用户令牌可以携带统一社会信用代码（uscc）",
                field="uscc",
            )
        return None
    if roles != {Role.ENTERPRISE} or region is not None:
        raise Forbidden(
            "enterprise_role_exclusive",
            "An enterprise token carries the enterprise role alone, without a region claim",
            "企业用户令牌只能具有企业角色，且不能携带地区代码",
            field="roles",
        )
    if uscc is None:
        raise Forbidden(
            "uscc_claim_missing",
            "An enterprise token must carry the enterprise's uscc claim",
            "企业用户令牌缺少统一社会信用代码（uscc）",
            field="uscc",
        )
    try:
        return validate_uscc(uscc)
    except UsccError as exc:
        raise Forbidden(
            "uscc_claim_invalid",
            f"The token's uscc claim is not a valid unified social credit code: {exc.detail}",
            f"令牌中的统一社会信用代码无效：{exc.detail_zh}",
            field="uscc",
        ) from exc


_LEVEL_ZH = {
    RegionLevel.PROVINCE: "省",
    RegionLevel.REPORTING_UNIT: "市州（含兰州新区）",
    RegionLevel.COUNTY: "县区",
}
