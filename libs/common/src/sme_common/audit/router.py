"""``GET /api/<service>/v1/audit-records``: who did what to which resource, and when.

For the province officer, the platform admin, and machine clients holding ``<service>:audit``.
Querying the audit is itself recorded (it shows personal data in before/after).
"""

# No ``from __future__ import annotations``: FastAPI must see ``auditor`` (a local) in the signature.
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from sme_common.api import Instant
from sme_common.audit.recorder import audit_read
from sme_common.audit.schemas import AuditRecordPage
from sme_common.audit.service import AUDIT_CURSOR, AuditFilters, query_records
from sme_common.auth.dependencies import require
from sme_common.auth.principal import Principal, Role
from sme_common.errors import problems
from sme_common.pagination import CursorParameter

MAX_LIMIT = 500
# Printable text only: a filter is compared as written, and PostgreSQL text refuses NUL.
_TEXT = r"^[^\x00-\x1f\x7f]{1,200}$"


class AuditQuery(BaseModel):
    """Query parameters of ``GET /audit-records``."""

    resource_type: str | None = Field(default=None, pattern=_TEXT)
    resource_id: str | None = Field(default=None, pattern=_TEXT)
    actor: str | None = Field(default=None, pattern=_TEXT, description="the subject")
    recorded_from: Instant | None = Field(
        default=None, alias="from", description="recorded at or after"
    )
    recorded_to: Instant | None = Field(default=None, alias="to", description="before")
    cursor: CursorParameter = None
    limit: int = Field(default=100, ge=1, le=MAX_LIMIT)


def audit_router(service: str) -> APIRouter:
    router = APIRouter(tags=["audit"])
    auditor = require(
        roles=(Role.PLATFORM_ADMIN, Role.PROVINCE_OFFICER, Role.AGENCY_SYSTEM),
        scope=f"{service}:audit",
    )

    @router.get(
        "/audit-records",
        response_model=AuditRecordPage,
        dependencies=[audit_read("audit_record", auditor, id_param=None)],
        responses=problems(codes={422: ("cursor_invalid",)}),
    )
    async def list_audit_records(
        request: Request,
        _principal: Annotated[Principal, Depends(auditor)],
        query: Annotated[AuditQuery, Query()],
    ) -> AuditRecordPage:
        """Audit records in chain order; filters combine with AND. Keep ``next_cursor``."""
        return await query_records(
            request.app.state.database,
            filters=AuditFilters(
                query.resource_type,
                query.resource_id,
                query.actor,
                query.recorded_from,
                query.recorded_to,
            ),
            after_position=AUDIT_CURSOR.after(query.cursor),
            limit=query.limit,
        )

    return router
