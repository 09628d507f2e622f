"""Who may call the funding routes (role dependencies). Routers import these from here, never from
another router; ``IdPath`` and ``expected_version`` (``If-Match``) are the kernel's."""

from __future__ import annotations

from sme_common.auth import Role, require

budget_reader = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN), scope="funding:read"
)
"""Funds and allocations: the province's officers, a 市州's officers for their own allocations,
the platform admin."""
budget_manager = require(roles=(Role.PROVINCE_OFFICER,), scope="funding:write")
"""Funds are set up and allocated by the province (省级财政/主管部门)."""
ledger_reader = require(roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope="funding:read")
"""The ledger is the province's oversight (and the platform admin's)."""
