"""Who may call the complaints routes. Routers import these from here, never from another router;
``IdPath`` and ``expected_version`` (``If-Match``) are the kernel's (``sme_common.api``).

Scope decision (docs, issue 11): a case belongs to the region of the **respondent** (属地管理: the
department that handles it is chosen by the respondent's region and type), so officers see the cases
whose respondent is in their region; the hotline sees only the cases its own channel filed (the
token's ``client_id``); an enterprise (web channel) sees the cases it filed as complainant."""

from __future__ import annotations

from fastapi import Path

from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER)

any_caller = require(roles=tuple(Role), scope="complaints:read")
"""Every authenticated caller (the category catalogue is public knowledge to channels); machine
clients with the read scope."""
filer = require(
    roles=(Role.HOTLINE, Role.AGENCY_SYSTEM, Role.ENTERPRISE, *OFFICERS),
    scope="complaints:write",
)
"""Who files a complaint: the hotline (its channel is the token's client id), agency systems,
the web channel (an enterprise for itself) and officers taking one at the counter."""
case_reader = require(
    roles=(Role.HOTLINE, Role.AGENCY_SYSTEM, Role.ENTERPRISE, *OFFICERS, Role.PLATFORM_ADMIN),
    scope="complaints:read",
)
"""Reads of cases, each in its own scope (channel, region, own USCC)."""
accepting_officer = require(roles=(Role.PROVINCE_OFFICER,), scope="complaints:write")
"""受理投诉部门: the province's SME authority accepts, refuses, transfers and visits
(国务院令第802号 第二十四条: 省级以上 government department in charge of SME promotion)."""
handling_officer = require(roles=OFFICERS, scope="complaints:write")
"""Officers of the handling department's region (处理投诉部门): receive, return, extend, resolve;
any officer of the case's region may pause it while the complainant supplies material."""
officer_reader = require(roles=(*OFFICERS, Role.PLATFORM_ADMIN), scope="complaints:read")
"""Officers' queues (overdue per department)."""
contact_reader = require(roles=OFFICERS, scope="complaints:read")
"""The complainant's contact: the accepting and handling officers only (保密, 第二十五条)."""

DepartmentPath = Path(
    pattern=r"^[a-z0-9_-]{1,64}$", description="a department id of the routing table"
)

demand_recorder = require(
    roles=(Role.HOTLINE, Role.ENTERPRISE, *OFFICERS), scope="complaints:write"
)
"""Who records an enterprise demand (诉求工作台账): the hotline, the enterprise itself, officers
(service commissioners, 包抓联 visits, letters) of the enterprise's region."""
demand_reader = require(
    roles=(Role.HOTLINE, Role.ENTERPRISE, *OFFICERS, Role.PLATFORM_ADMIN), scope="complaints:read"
)
"""Reads of demands, each in its own scope (the hotline's channel, the region, the own USCC)."""
demand_stepper = require(roles=(Role.ENTERPRISE, *OFFICERS), scope="complaints:write")
"""Steps of a demand: officers assign and answer; the enterprise confirms or reopens."""
