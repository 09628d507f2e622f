from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications.models import ApplicationStep
from sme_certification.notices.models import Notice, NoticeEntry, Objection

AUTHOR_ACTIONS = ("create", "edit", "submit", "resubmit")


async def notice_end_of(session: AsyncSession, application_id: str) -> date | None:
    query = (
        select(Notice.ends_on)
        .join(NoticeEntry, NoticeEntry.notice_id == Notice.id)
        .where(NoticeEntry.application_id == application_id)
    )
    return (await session.scalars(query)).first()


async def open_objections(session: AsyncSession, application_id: str) -> int:
    query = select(func.count()).where(
        Objection.application_id == application_id, Objection.status == "open"
    )
    return int((await session.scalar(query)) or 0)


async def authors(session: AsyncSession, application_id: str) -> set[str]:
    """Who made, edited or filed the application."""
    query = select(ApplicationStep.acted_by).where(
        ApplicationStep.application_id == application_id,
        ApplicationStep.action.in_(AUTHOR_ACTIONS),
    )
    return set((await session.scalars(query)).all())
