"""Every query of the applications module; the caller's region scope is in every WHERE clause."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications.domain import RECOMMENDED_STATUSES
from sme_certification.applications.models import Application, ApplicationStep, EvidenceDocument
from sme_certification.applications.schemas import ApplicationFilters
from sme_common.auth.principal import RegionScope


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(
        Application.region_code, Application.reporting_unit_code, uscc_col=Application.uscc
    )


async def get(
    session: AsyncSession, application_id: str, scope: RegionScope, *, for_update: bool = False
) -> Application | None:
    query = select(Application).where(Application.id == application_id, _in_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def of_enterprise_in_batch(
    session: AsyncSession, batch_id: str, uscc: str
) -> Application | None:
    query = select(Application).where(Application.batch_id == batch_id, Application.uscc == uscc)
    return (await session.scalars(query)).first()


async def find(
    session: AsyncSession, scope: RegionScope, filters: ApplicationFilters, *, after: str | None
) -> Sequence[Application]:
    """Up to ``limit + 1`` applications after the id ``after``, in id order."""
    query = select(Application).where(_in_scope(scope))
    if filters.batch_id is not None:
        query = query.where(Application.batch_id == filters.batch_id)
    if filters.status is not None:
        query = query.where(Application.status == filters.status.value)
    if filters.uscc is not None:
        query = query.where(Application.uscc == filters.uscc)
    if after is not None:
        query = query.where(Application.id > after)
    return (await session.scalars(query.order_by(Application.id).limit(filters.limit + 1))).all()


async def recommended_count(session: AsyncSession, batch_id: str, reporting_unit_code: str) -> int:
    query = select(func.count()).where(
        Application.batch_id == batch_id,
        Application.reporting_unit_code == reporting_unit_code,
        Application.status.in_([s.value for s in RECOMMENDED_STATUSES]),
    )
    return int((await session.execute(query)).scalar_one())


async def recommended_by_unit(session: AsyncSession, batch_id: str) -> dict[str, int]:
    query = (
        select(Application.reporting_unit_code, func.count())
        .where(
            Application.batch_id == batch_id,
            Application.status.in_([s.value for s in RECOMMENDED_STATUSES]),
        )
        .group_by(Application.reporting_unit_code)
    )
    return {unit: int(count) for unit, count in (await session.execute(query)).all()}


async def steps(session: AsyncSession, application_id: str) -> Sequence[ApplicationStep]:
    query = select(ApplicationStep).where(ApplicationStep.application_id == application_id)
    return (await session.scalars(query.order_by(ApplicationStep.id))).all()


async def documents(session: AsyncSession, application_id: str) -> Sequence[EvidenceDocument]:
    query = select(EvidenceDocument).where(EvidenceDocument.application_id == application_id)
    return (await session.scalars(query.order_by(EvidenceDocument.uploaded_at))).all()


async def document(
    session: AsyncSession, application_id: str, document_id: str
) -> EvidenceDocument | None:
    query = select(EvidenceDocument).where(
        EvidenceDocument.application_id == application_id, EvidenceDocument.id == document_id
    )
    return (await session.scalars(query)).first()
