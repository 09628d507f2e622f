"""Every query of the subsidy projects module. Region scope goes into the SQL: a project carries
its enterprise's county (``region_code``), 市州 (``reporting_unit_code``) and USCC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_funding.entitlements.models import CertificateRecord
from sme_funding.projects.models import ProjectEvidence, ProjectStep, SubsidyProject


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(
        SubsidyProject.region_code,
        SubsidyProject.reporting_unit_code,
        uscc_col=SubsidyProject.uscc,
    )


async def in_scope(
    session: AsyncSession, project_id: str, scope: RegionScope, *, for_update: bool = False
) -> SubsidyProject | None:
    query = select(SubsidyProject).where(SubsidyProject.id == project_id, _in_scope(scope))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def page(
    session: AsyncSession,
    scope: RegionScope,
    *,
    status: str | None,
    policy_code: str | None,
    uscc: str | None,
    after: str | None,
    limit: int,
) -> Sequence[SubsidyProject]:
    """Up to ``limit + 1`` projects in id order after ``after``."""
    query = select(SubsidyProject).where(_in_scope(scope))
    if status is not None:
        query = query.where(SubsidyProject.status == status)
    if policy_code is not None:
        query = query.where(SubsidyProject.policy_code == policy_code)
    if uscc is not None:
        query = query.where(SubsidyProject.uscc == uscc)
    if after is not None:
        query = query.where(SubsidyProject.id > after)
    return (await session.scalars(query.order_by(SubsidyProject.id).limit(limit + 1))).all()


async def evidence_of(session: AsyncSession, project_id: str) -> Sequence[ProjectEvidence]:
    query = select(ProjectEvidence).where(ProjectEvidence.project_id == project_id)
    return (
        await session.scalars(query.order_by(ProjectEvidence.uploaded_at, ProjectEvidence.id))
    ).all()


async def evidence_count(session: AsyncSession, project_id: str) -> int:
    query = select(func.count()).where(ProjectEvidence.project_id == project_id)
    return int(await session.scalar(query) or 0)


async def evidence(
    session: AsyncSession, project_id: str, evidence_id: str
) -> ProjectEvidence | None:
    query = select(ProjectEvidence).where(
        ProjectEvidence.project_id == project_id, ProjectEvidence.id == evidence_id
    )
    return (await session.scalars(query)).first()


async def steps_of(session: AsyncSession, project_id: str) -> Sequence[ProjectStep]:
    query = select(ProjectStep).where(ProjectStep.project_id == project_id)
    return (await session.scalars(query.order_by(ProjectStep.id))).all()


async def held_tiers(session: AsyncSession, uscc: str, on: Any) -> list[str]:
    """The tiers of the enterprise's certificates in force on ``on`` (granted, not expired), as
    funding learnt them from certification's events."""
    query = select(CertificateRecord.tier).where(
        CertificateRecord.uscc == uscc,
        CertificateRecord.status == "granted",
        (CertificateRecord.expires_on.is_(None)) | (CertificateRecord.expires_on >= on),
    )
    return sorted(set((await session.scalars(query)).all()))
