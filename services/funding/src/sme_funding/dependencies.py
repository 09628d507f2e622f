"""Who may call the funding routes (role dependencies). Routers import these from here, never
from another router; ``UsccPath``, ``IdPath`` and ``expected_version`` (``If-Match``) are the
kernel's (``sme_common.api``)."""

from __future__ import annotations

from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)

reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="funding:read")
"""Officers in their region, agency systems with the read scope (oversight reads)."""
own_reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM, Role.ENTERPRISE), scope="funding:read")
"""As ``reader``, and an enterprise for what is its own (its entitlements): the scope's clause is
its USCC."""
officer_writer = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN), scope="funding:write"
)
"""Changes to entitlements: the province and the 市州 that pays (the county attests projects but
does not decide on awards), and the platform admin."""
budget_reader = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN), scope="funding:read"
)
"""Funds and allocations: the province's officers, a 市州's officers for their own allocations,
the platform admin."""
budget_manager = require(roles=(Role.PROVINCE_OFFICER,), scope="funding:write")
"""Funds are set up and allocated by the province (省级财政/主管部门)."""
ledger_reader = require(roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope="funding:read")
"""The ledger is the province's oversight (and the platform admin's)."""
project_filer = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.ENTERPRISE),
    scope="funding:write",
)
"""A subsidy project is filed (and corrected, its evidence added, declared) by the enterprise for
itself or by an officer of its region."""
project_attester = require(roles=(Role.CITY_OFFICER, Role.COUNTY_OFFICER), scope="funding:write")
"""属地化管理: the county or 市州 of the enterprise attests a project's truthfulness."""
project_reviewer = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER), scope="funding:write"
)
"""Returns and rejections: whoever's step is next (the service checks which)."""
province_reviewer = require(roles=(Role.PROVINCE_OFFICER,), scope="funding:write")
"""The province re-checks compliance, accepts the spend and confirms the entitlement."""
