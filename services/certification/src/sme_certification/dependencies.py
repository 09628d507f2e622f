"""Who may call the certification routes (role dependencies), its own path parameters, the
evidence storage and the answers of a step that changes an application at a version. Routers
import these from here, never from another router; ``UsccPath``, ``IdPath`` and
``expected_version`` (``If-Match``) are the kernel's (``sme_common.api``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Path, Request

from sme_certification.certificates.domain import CODE_PATTERN
from sme_common.api import ETAG_HEADER
from sme_common.auth import Role, require
from sme_common.errors import problems
from sme_common.storage import DocumentStorage, document_storage

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


def evidence_storage(request: Request) -> DocumentStorage:
    """The evidence storage of this app, made once from its settings: the local disk under
    ``evidence_dir`` by default, an S3-compatible bucket with ``storage.kind=s3``."""
    state = request.app.state
    storage: DocumentStorage | None = getattr(state, "evidence_storage", None)
    if storage is None:
        settings = state.settings
        storage = document_storage(settings.storage, settings.evidence_dir)
        state.evidence_storage = storage
    return storage


province_officer = require(roles=(Role.PROVINCE_OFFICER,), scope="certification:write")
"""The province's own steps after its review: the expert pool and assignments, public notices,
objections' resolution and the decision (认定) — a person, never a machine client or an admin."""
expert = require(roles=(Role.EXPERT,), scope="certification:write")
"""An expert of the pool, known by the token's ``sub``: sees and scores only what is assigned."""

IF_MATCH_CODES = ("if_match_invalid", "if_match_mismatch")
VERSION_CODES = ("version_required", "version_conflict", "transition_not_allowed")


def application_step_responses(
    *,
    not_found: Sequence[str] = (),
    conflict: Sequence[str] = (),
    invalid: Sequence[str] = (),
    forbidden: Sequence[str] = (),
    etag: bool = True,
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a step that changes an application at the version the caller read
    (``version`` or ``If-Match``): 404 ``application_not_found`` (outside the region too), 409 a
    missing or stale version or a step its status does not allow, 422 a bad ``If-Match``; plus
    the step's own codes. ``etag``: the 200 carries the new version as ``ETag``."""
    codes: dict[int, Sequence[str]] = {
        404: ("application_not_found", *not_found),
        409: (*VERSION_CODES, *conflict),
        422: (*invalid, *IF_MATCH_CODES),
    }
    if forbidden:
        codes[403] = tuple(forbidden)
    answers = problems(404, 409, codes=codes)
    return {200: {"headers": ETAG_HEADER}, **answers} if etag else answers
