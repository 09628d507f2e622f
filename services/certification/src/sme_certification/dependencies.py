"""What the certification routers share: who may call (role dependencies) and the path types.
Routers import these from here, never from another router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from sme_certification.certificates.domain import CODE_PATTERN
from sme_common.auth import Role, require

OFFICERS = (Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.PLATFORM_ADMIN)
reader = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="certification:read")
"""Officers (in their region) and agency systems read certificates."""
officer_writer = require(roles=(*OFFICERS, Role.AGENCY_SYSTEM), scope="certification:write")
"""Filing a re-review is recorded by any officer of the enterprise's region."""
province_writer = require(
    roles=(Role.PROVINCE_OFFICER, Role.PLATFORM_ADMIN), scope="certification:write"
)
"""Titles are granted, re-reviewed and revoked by the province (policy-facts §1.6)."""

# Opaque ids we issued (cert_…): letters, digits, '_' and '-', nothing else reaches SQL.
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
CodePath = Annotated[str, Path(pattern=CODE_PATTERN, description="the code printed on it")]
