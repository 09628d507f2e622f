from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications.models import Application
from sme_certification.batches.models import Batch
from sme_certification.notices.models import Notice, NoticeEntry, Objection
from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory as directory_enterprise


def _notice_in_scope(scope: RegionScope) -> Any:
    # A notice is the province's: its code is both its region and its reporting unit here, so a
    # 市州 or county scope never matches it (only the province and the platform admin see it).
    return scope.clause(Notice.province_code, Notice.province_code)


async def notice(session: AsyncSession, notice_id: str, scope: RegionScope | None) -> Notice | None:
    query = select(Notice).where(Notice.id == notice_id)
    if scope is not None:
        query = query.where(_notice_in_scope(scope))
    return (await session.scalars(query)).first()


async def notices(session: AsyncSession, scope: RegionScope) -> Sequence[Notice]:
    query = select(Notice).where(_notice_in_scope(scope)).order_by(Notice.starts_on.desc())
    return (await session.scalars(query.limit(200))).all()


async def entry_ids(session: AsyncSession, notice_id: str) -> list[str]:
    query = (
        select(NoticeEntry.application_id)
        .where(NoticeEntry.notice_id == notice_id)
        .order_by(NoticeEntry.application_id)
    )
    return list((await session.scalars(query)).all())


async def running(session: AsyncSession, today: date, province: str | None) -> Sequence[Notice]:
    query = select(Notice).where(Notice.starts_on <= today, Notice.ends_on >= today)
    if province is not None:
        query = query.where(Notice.province_code == province)
    return (await session.scalars(query.order_by(Notice.starts_on, Notice.id))).all()


async def public_entries(session: AsyncSession, notice_id: str) -> Sequence[Any]:
    """The applications of a notice with their enterprise's name — never a classified one (they
    are never put in a notice; the filter keeps it so should one ever be)."""
    query = (
        select(Application, Batch, directory_enterprise.c.name)
        .join(NoticeEntry, NoticeEntry.application_id == Application.id)
        .join(Batch, Batch.id == Application.batch_id)
        .join(directory_enterprise, directory_enterprise.c.uscc == Application.uscc)
        .where(NoticeEntry.notice_id == notice_id, Application.classified.is_(False))
        .order_by(directory_enterprise.c.name, Application.id)
    )
    return (await session.execute(query)).all()


async def in_notice(session: AsyncSession, notice_id: str, application_id: str) -> bool:
    query = select(NoticeEntry.application_id).where(
        NoticeEntry.notice_id == notice_id, NoticeEntry.application_id == application_id
    )
    return (await session.scalars(query)).first() is not None


async def objection(
    session: AsyncSession, objection_id: str, *, for_update: bool = False
) -> Objection | None:
    query = select(Objection).where(Objection.id == objection_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def objections(session: AsyncSession, notice_id: str) -> Sequence[Objection]:
    query = select(Objection).where(Objection.notice_id == notice_id).order_by(Objection.filed_at)
    return (await session.scalars(query)).all()


async def objections_by_filer_after(
    session: AsyncSession, fingerprint: str, after: datetime
) -> list[datetime]:
    """When the client with ``fingerprint`` filed public objections after ``after``, oldest
    first."""
    query = (
        select(Objection.filed_at)
        .where(Objection.filer_fingerprint == fingerprint, Objection.filed_at > after)
        .order_by(Objection.filed_at)
    )
    return list((await session.execute(query)).scalars().all())
