"""Who may call the certification routes (role dependencies), its own path parameters and the
evidence storage. Routers import these from here, never from another router; ``UsccPath``,
``IdPath`` and ``expected_version`` (``If-Match``) are the kernel's (``sme_common.api``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from sme_certification.certificates.domain import CODE_PATTERN
from sme_certification.storage import EvidenceStorage, LocalDiskStorage
from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
REVIEWERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER)

reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="certification:read")
"""Officers in their region, agency systems with the read scope (oversight reads)."""
own_reader = require(
    roles=(*OFFICERS, Role.AGENCY_SYSTEM, Role.ENTERPRISE), scope="certification:read"
)
"""As ``reader``, and an enterprise for what is its own (its facts, its applications, their
self-assessment; the batches it may apply in): the scope's clause is its USCC."""
applicant = require(
    roles=(*REVIEWERS, Role.AGENCY_SYSTEM, Role.ENTERPRISE), scope="certification:write"
)
"""Who makes, corrects and files an application: the enterprise for itself (its ``uscc`` claim),
officers on an enterprise's behalf, agency systems with the write scope."""
reviewer = require(roles=REVIEWERS, scope="certification:write")
"""The review chain is the officers' own: county pre-check, 市州 recommendation, provincial review."""
batch_manager = require(roles=(Role.PROVINCE_OFFICER,), scope="certification:write")
"""Batches are set by the province (省级主管部门组织年度申报)."""
officer_writer = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="certification:write")
"""Filing a re-review is recorded by any officer of the enterprise's region."""
province_writer = require(
    roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope="certification:write"
)
"""Titles are granted, re-reviewed and revoked by the province (policy-facts §1.6)."""

CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="the code printed on it")]


def evidence_storage(request: Request) -> EvidenceStorage:
    """The evidence storage of this app: the local disk under its settings' ``evidence_dir`` (an
    S3-compatible implementation of ``EvidenceStorage`` is for production, not written yet)."""
    return LocalDiskStorage(request.app.state.settings.evidence_dir)


province_officer = require(roles=(Role.PROVINCE_OFFICER,), scope="certification:write")
"""The province's own steps after its review: the expert pool and assignments, public notices,
objections' resolution and the decision (认定) — a person, never a machine client or an admin."""
expert = require(roles=(Role.EXPERT,), scope="certification:write")
"""An expert of the pool, known by the token's ``sub``: sees and scores only what is assigned."""
