"""Who may call the finance-matching routes (role dependencies) and the service's own request
types. Routers import these from here, never from another router; ``IdPath`` and
``expected_version`` (``If-Match``) are the kernel's (``sme_common.api``).

Institutions call as machine clients (OAuth2 client credentials, roles ``bank`` or ``guarantor``)
holding ``finance:read`` to read and ``finance:write`` to write; each client is linked to exactly
one institution (``institution_client``) and sees only what concerns it.
"""

from __future__ import annotations

from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
INSTITUTIONS = (Role.BANK, Role.GUARANTOR)
READ_SCOPE = "finance:read"
WRITE_SCOPE = "finance:write"

institution_manager = require(roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope=WRITE_SCOPE)
"""Institutions are registered, linked to their clients and suspended by the province."""
institution_reader = require(roles=(*OFFICERS, *INSTITUTIONS), scope=READ_SCOPE)
"""Officers (institutions serving their region) and an institution's own clients (itself only)."""
institution_editor = require(
    roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN, *INSTITUTIONS), scope=WRITE_SCOPE
)
"""The province, or the institution itself (its name, the 市州 and tiers it serves)."""
catalogue_reader = require(roles=(*OFFICERS, *INSTITUTIONS, Role.ENTERPRISE), scope=READ_SCOPE)
"""The credit-product catalogue (信贷产品目录) is shared with institutions and enterprises alike
(seed 000 (十三)); drafts and withdrawn products only with their own institution and officers."""
product_writer = institution_editor
"""Products are maintained by their institution or by the province."""
need_reader = require(roles=(*OFFICERS, *INSTITUTIONS, Role.ENTERPRISE), scope=READ_SCOPE)
"""Officers in their region, the enterprise its own needs, an institution those addressed or
matched to it."""
need_writer = require(roles=(*OFFICERS, Role.ENTERPRISE), scope=WRITE_SCOPE)
"""A financing need is filed by the enterprise itself or by an officer of its region."""
feedback_writer = require(roles=INSTITUTIONS, scope=WRITE_SCOPE)
"""Outcomes are reported by the institutions themselves (their own client tokens)."""
feedback_reader = require(roles=(*OFFICERS, *INSTITUTIONS, Role.ENTERPRISE), scope=READ_SCOPE)
"""Officers the reports of their region, an institution its own, an enterprise those on itself."""
monitoring_reader = require(roles=(*OFFICERS, *INSTITUTIONS), scope=READ_SCOPE)
"""Officers the figures of their region; an institution its own figures only."""
list_reader = require(roles=(*OFFICERS, *INSTITUTIONS), scope=READ_SCOPE)
"""List snapshots (名单推送): officers (institutions serving their region) and an institution's own
client (its own snapshots only)."""
list_maker = require(roles=(*OFFICERS, *INSTITUTIONS), scope=WRITE_SCOPE)
"""A snapshot on demand: an officer for an institution it sees, or the institution itself."""
delta_reader = require(roles=INSTITUTIONS, scope=READ_SCOPE)
"""Deltas follow an institution's own cursor: its clients only."""
list_acknowledger = require(roles=INSTITUTIONS, scope=WRITE_SCOPE)
"""Acknowledgements are the institution's."""
push_reader = require(roles=(*OFFICERS, Role.ENTERPRISE), scope=READ_SCOPE)
"""Enterprise pushes (名单和信贷产品目录推送给企业): the enterprise its own, officers their region's;
never an institution (what a bank is sent is its own snapshot)."""
push_acknowledger = require(roles=(Role.ENTERPRISE,), scope=WRITE_SCOPE)
"""The read receipt of a push is the enterprise's own."""
push_publisher = require(roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope=WRITE_SCOPE)
"""A push run on demand is the province's (the list and the catalogue are shared by it)."""
