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
"""Officers and agency systems: the register as a whole, its trails (history, flag revisions, the
change feed), people, reports, imports and exports."""
reference_reader = require(roles=list(Role), scope="registry:read")
"""Reference data (regions, industry sections) is for every role."""

# An enterprise (企业用户, issue 8) reads the current state of its own record: the entry, its
# facts, size class, pools, flags, service people and the profile; a search finds itself alone.
# The trails of who changed what (history, flag revisions, the change feed, the audit), other
# enterprises, people lists, reports, imports and exports are the administration's, and refused
# (403 role_forbidden). Its own USCC is the scope's WHERE clause (RegionScope ENTERPRISE).
own_record_reader = require(
    roles=(*OFFICERS, Role.AGENCY_SYSTEM, Role.ENTERPRISE), scope="registry:read"
)
facts_filer = require(
    roles=(*OFFICERS, Role.AGENCY_SYSTEM, Role.ENTERPRISE), scope="registry:write"
)
"""Yearly facts are filed by officers, agency systems, and the enterprise itself, whose facts are
always ``self_declared`` (the source the register keeps for an enterprise's own declaration) and
which never overwrites a year another source filed (``facts.service``)."""

Year = Annotated[int, Path(ge=1949, le=2200)]
