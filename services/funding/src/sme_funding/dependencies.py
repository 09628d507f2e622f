"""Who may call the funding routes (role dependencies). Routers import these from here, never from
another router."""

from __future__ import annotations

from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)

reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="funding:read")
"""Officers, the platform admin and agency systems with the read scope (oversight reads)."""
