"""Querying the audit chain by resource, actor and time, in chain order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from sme_common.audit.schemas import AuditActor, AuditRecordPage, AuditRecordRead
from sme_common.audit.tables import audit_record
from sme_common.db.engine import Database
from sme_common.pagination import PositionCursor, split_page

AUDIT_CURSOR = PositionCursor()
"""Pages of the chain: the cursor holds the last position sent."""


@dataclass(frozen=True)
class AuditFilters:
    resource_type: str | None = None
    resource_id: str | None = None
    actor: str | None = None
    recorded_from: datetime | None = None
    recorded_to: datetime | None = None


async def query_records(
    database: Database, *, filters: AuditFilters, after_position: int, limit: int
) -> AuditRecordPage:
    r = audit_record.c
    query = select(audit_record).where(r.position > after_position)
    if filters.resource_type is not None:
        query = query.where(r.resource_type == filters.resource_type)
    if filters.resource_id is not None:
        query = query.where(r.resource_id == filters.resource_id)
    if filters.actor is not None:
        query = query.where(r.actor_subject == filters.actor)
    if filters.recorded_from is not None:
        query = query.where(r.recorded_at >= filters.recorded_from)
    if filters.recorded_to is not None:
        query = query.where(r.recorded_at < filters.recorded_to)
    query = query.order_by(r.position).limit(limit + 1)
    async with database.reading() as connection:
        rows = (await connection.execute(query)).all()
    page, last = split_page(rows, limit)
    items = [
        AuditRecordRead(
            position=row.position,
            recorded_at=row.recorded_at,
            actor=AuditActor(
                subject=row.actor_subject, roles=row.actor_roles, client=row.actor_client
            ),
            request_id=row.request_id,
            action=row.action,
            resource_type=row.resource_type,
            resource_id=row.resource_id,
            before=row.before,
            after=row.after,
            detail=row.detail,
            hash=row.hash,
        )
        for row in page
    ]
    next_cursor = AUDIT_CURSOR.encode(last.position) if last is not None else None
    return AuditRecordPage(items=items, next_cursor=next_cursor)
