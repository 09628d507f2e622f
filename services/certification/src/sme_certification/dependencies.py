"""What the certification routers share: who may call (role dependencies), the path parameters,
and the version a write is based on (``If-Match``). Routers import these from here, never from
another router."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Request
from pydantic import BeforeValidator

from sme_certification.storage import EvidenceStorage, LocalDiskStorage
from sme_common.auth import Role, require
from sme_common.errors import InvalidInput
from sme_common.ids import USCC_PATTERN
from sme_common.text import normalize_code

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


def as_code(value: object) -> object:
    """A code in the path is read in any case and width (全角, lower case), as in a body."""
    return normalize_code(value) if isinstance(value, str) else value


UsccPath = Annotated[str, BeforeValidator(as_code), Path(pattern=USCC_PATTERN)]
# Opaque ids we issued (batch_…, app_…, doc_…): letters, digits, '_' and '-', nothing else.
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

_ETAG = re.compile(r'^(W/)?"?([0-9]{1,9})"?$')


def expected_version(if_match: str | None, version: int | None) -> int | None:
    """The version a write expects, from ``If-Match`` (an ETag we sent: ``"3"``) or the body."""
    if if_match is None:
        return version
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            "if_match_invalid",
            'If-Match must be the ETag you read, e.g. "3"',
            'If-Match 应为读取时返回的 ETag，例如 "3"',
            field="If-Match",
        )
    etag_version = int(match.group(2))
    if version is not None and version != etag_version:
        raise InvalidInput(
            "if_match_mismatch",
            "If-Match and version disagree",
            "If-Match 与 version 不一致",
            field="If-Match",
        )
    return etag_version


def evidence_storage(request: Request) -> EvidenceStorage:
    """The evidence storage of this app: the local disk under its settings' ``evidence_dir`` (an
    S3-compatible implementation of ``EvidenceStorage`` is for production, not written yet)."""
    return LocalDiskStorage(request.app.state.settings.evidence_dir)
