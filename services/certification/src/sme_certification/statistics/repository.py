"""Queries for the statistics: certificates with their enterprise's 市州 (from the directory), and
applications by batch and status. Region scope goes into the SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.applications.models import Application
from sme_certification.batches.models import Batch
from sme_certification.certificates.models import Certificate
from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory as directory


async def titles(session: AsyncSession, *, province_code: str, scope: RegionScope) -> Sequence[Any]:
    """Every certificate of an enterprise registered in the province and in ``scope``, with the
    enterprise's reporting unit (市州 or 兰州新区)."""
    query = (
        select(
            Certificate.uscc,
            Certificate.tier,
            Certificate.level,
            directory.c.reporting_unit_code,
            Certificate.issued_on,
            Certificate.ended_on,
            Certificate.status,
            Certificate.revocation_reason,
        )
        .join(directory, directory.c.uscc == Certificate.uscc)
        .where(
            directory.c.region_code.like(f"{province_code[:2]}%"),
            scope.clause(
                directory.c.region_code,
                directory.c.reporting_unit_code,
                uscc_col=Certificate.uscc,
            ),
        )
    )
    return (await session.execute(query)).all()


async def applications_by_batch(
    session: AsyncSession, *, province_code: str, scope: RegionScope, year: int | None
) -> Sequence[Any]:
    """(batch id, tier, level, year, status, count) of the province's batches, the applications
    counted where they were filed (their region, in ``scope``)."""
    query = (
        select(
            Batch.id,
            Batch.tier,
            Batch.level,
            Batch.year,
            Application.status,
            func.count(Application.id),
        )
        .join(Application, Application.batch_id == Batch.id)
        .where(
            Batch.province_code == province_code,
            scope.clause(
                Application.region_code, Application.reporting_unit_code, uscc_col=Application.uscc
            ),
        )
        .group_by(Batch.id, Batch.tier, Batch.level, Batch.year, Application.status)
        .order_by(Batch.year, Batch.id, Application.status)
    )
    if year is not None:
        query = query.where(Batch.year == year)
    return (await session.execute(query)).all()


async def granted_by_batch(
    session: AsyncSession, *, province_code: str, scope: RegionScope, year: int | None
) -> dict[str, int]:
    """Certificates granted from each batch's applications (by the decision step)."""
    query = (
        select(Application.batch_id, func.count(Certificate.id))
        .join(Certificate, Certificate.application_id == Application.id)
        .join(Batch, Batch.id == Application.batch_id)
        .where(
            Batch.province_code == province_code,
            scope.clause(
                Application.region_code, Application.reporting_unit_code, uscc_col=Application.uscc
            ),
        )
        .group_by(Application.batch_id)
    )
    if year is not None:
        query = query.where(Batch.year == year)
    rows = (await session.execute(query)).all()
    return {batch_id: int(count) for batch_id, count in rows}
