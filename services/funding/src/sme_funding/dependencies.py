"""Who may call the funding routes (role dependencies). Routers import these from here, never
from another router; ``UsccPath``, ``IdPath`` and ``expected_version`` (``If-Match``) are the
kernel's (``sme_common.api``)."""

from __future__ import annotations

from fastapi import Request

from sme_common.auth import Role, require
from sme_common.storage import DocumentStorage, document_storage

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
approver = require(roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER), scope="funding:write")
"""Approval steps (审批): the 市州's and the province's officers, as each step of the chain names
(``approvals/data/approval-chains.json``); the platform admin takes no step."""
approval_withdrawer = require(roles=(Role.PROVINCE_OFFICER,), scope="funding:write")
"""Withdrawing an approval (撤销, which releases the budget): the province, which approves last."""
payment_reader = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN, Role.AGENCY_SYSTEM),
    scope="funding:read",
)
"""Payment batches (支付批次): the province's officers, a 市州's officers for their own 市州's
batches, the platform admin, and the paying bank's or treasury's system (``agency_system`` with
``funding:read``) that fetches the export."""
payment_maker = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN), scope="funding:write"
)
"""Making, sealing and withdrawing a batch: officers who pay (province, 市州), the platform admin."""
payment_results = require(
    roles=(Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.PLATFORM_ADMIN, Role.AGENCY_SYSTEM),
    scope="funding:write",
)
"""Posting the bank's results: the officers as ``payment_maker``, and the treasury's system
(``agency_system`` with ``funding:write``, 国库集中支付) posting them directly, within its region."""
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


def evidence_storage(request: Request) -> DocumentStorage:
    """The evidence storage of this app (subsidy projects' documents), made once from its
    settings: the local disk under ``evidence_dir`` by default, an S3-compatible bucket with
    ``storage.kind=s3`` (``sme_common.storage``)."""
    state = request.app.state
    storage: DocumentStorage | None = getattr(state, "evidence_storage", None)
    if storage is None:
        settings = state.settings
        storage = document_storage(settings.storage, settings.evidence_dir)
        state.evidence_storage = storage
    return storage
