"""What the registry's routers share: who may call (role dependencies), the path parameters, and
the version a write is based on (``If-Match``). Routers import these from here, never from another
router."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path
from pydantic import BeforeValidator

from sme_common.auth import Role, require
from sme_common.errors import InvalidInput
from sme_common.ids import USCC_PATTERN
from sme_registry.enterprises.schemas import as_code

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

# A USCC in the path is read like one in a body: any case and width (POST accepts both).
UsccPath = Annotated[str, BeforeValidator(as_code), Path(pattern=USCC_PATTERN)]
# Opaque ids we issued (flag_…, person_…): letters, digits, '_' and '-', nothing else reaches SQL.
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Year = Annotated[int, Path(ge=1949, le=2200)]

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
