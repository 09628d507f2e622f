"""``GET /api/<service>/v1/audit-records``: who did what to which resource, and when.

For the province officer, the platform admin, and machine clients holding ``<service>:audit``.
Querying the audit is itself recorded (it shows personal data in before/after).
"""

# No ``from __future__ import annotations``: FastAPI must see ``auditor`` (a local) in the signature.
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.api import Instant
from sme_common.audit.recorder import audit_read
from sme_common.audit.schemas import AuditRecordPage
from sme_common.audit.service import AuditFilters, query_records
from sme_common.auth.dependencies import require
from sme_common.auth.principal import Principal, Role

MAX_LIMIT = 500
# Printable text only: a filter is compared as written, and PostgreSQL text refuses NUL.
_TEXT = r"^[^\x00-\x1f\x7f]{1,200}$"


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
    )
    async def list_audit_records(
        request: Request,
        _principal: Annotated[Principal, Depends(auditor)],
        resource_type: Annotated[str | None, Query(pattern=_TEXT)] = None,
        resource_id: Annotated[str | None, Query(pattern=_TEXT)] = None,
        actor: Annotated[str | None, Query(pattern=_TEXT, description="the subject")] = None,
        recorded_from: Annotated[
            Instant | None, Query(alias="from", description="recorded at or after")
        ] = None,
        recorded_to: Annotated[Instant | None, Query(alias="to", description="before")] = None,
        cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    ) -> AuditRecordPage:
        """Audit records in chain order; filters combine with AND. Keep ``next_cursor``."""
        return await query_records(
            request.app.state.database,
            filters=AuditFilters(resource_type, resource_id, actor, recorded_from, recorded_to),
            after_position=int(cursor) if cursor else 0,
            limit=limit,
        )

    return router
