from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications.models import Application
from sme_certification.batches.models import Batch
from sme_certification.experts.models import Expert, ExpertAssignment
from sme_common.directory.models import enterprise_directory


async def by_subject(session: AsyncSession, subject: str) -> Expert | None:
    return (await session.scalars(select(Expert).where(Expert.subject == subject))).first()


async def expert(
    session: AsyncSession, expert_id: str, province_code: str, *, for_update: bool = False
) -> Expert | None:
    query = select(Expert).where(Expert.id == expert_id, Expert.province_code == province_code)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def pool(session: AsyncSession, province_code: str) -> Sequence[Expert]:
    query = select(Expert).where(Expert.province_code == province_code).order_by(Expert.id)
    return (await session.scalars(query)).all()


async def panel(session: AsyncSession, application_id: str) -> Sequence[Any]:
    query = (
        select(ExpertAssignment, Expert.name)
        .join(Expert, Expert.id == ExpertAssignment.expert_id)
        .where(ExpertAssignment.application_id == application_id)
        .order_by(ExpertAssignment.id)
    )
    return (await session.execute(query)).all()


def _assigned() -> Any:
    return (
        select(ExpertAssignment, Application, Batch, enterprise_directory.c.name)
        .join(Expert, Expert.id == ExpertAssignment.expert_id)
        .join(Application, Application.id == ExpertAssignment.application_id)
        .join(Batch, Batch.id == Application.batch_id)
        .join(enterprise_directory, enterprise_directory.c.uscc == Application.uscc)
    )


async def assigned_to(session: AsyncSession, subject: str) -> Sequence[Any]:
    query = _assigned().where(Expert.subject == subject).order_by(ExpertAssignment.assigned_at)
    return (await session.execute(query)).all()


async def assignment_of(
    session: AsyncSession, assignment_id: str, subject: str, *, for_update: bool = False
) -> Any:
    query = _assigned().where(ExpertAssignment.id == assignment_id, Expert.subject == subject)
    if for_update:
        query = query.with_for_update(of=[ExpertAssignment, Application])
    return (await session.execute(query)).first()


async def scores(session: AsyncSession, application_id: str) -> list[Any]:
    """Every assigned expert's score (None where not yet given)."""
    query = select(ExpertAssignment.score).where(ExpertAssignment.application_id == application_id)
    return list((await session.scalars(query)).all())
