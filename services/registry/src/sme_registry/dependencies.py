"""Who may call the registry's routes (role dependencies) and its own path parameters. Routers import
these from here, never from another router; the path types every service shares (``UsccPath``,
``IdPath``) and ``If-Match`` parsing (``expected_version``) are in ``sme_common.api``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
writer = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:write")
reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="registry:read")
reference_reader = require(roles=list(Role), scope="registry:read")
"""Reference data (regions, industry sections) is for every role."""

Year = Annotated[int, Path(ge=1949, le=2200)]
