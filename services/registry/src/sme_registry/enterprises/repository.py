"""Queries on enterprises."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_registry.enterprises.models import Enterprise


def in_scope(scope: RegionScope) -> ColumnElement[bool]:
    return scope.clause(Enterprise.region_code, Enterprise.reporting_unit_code)


async def get(session: AsyncSession, uscc: str, scope: RegionScope) -> Enterprise | None:
    result = await session.execute(
        select(Enterprise).where(Enterprise.uscc == uscc, in_scope(scope))
    )
    return result.scalar_one_or_none()


async def exists(session: AsyncSession, uscc: str) -> bool:
    result = await session.execute(select(Enterprise.uscc).where(Enterprise.uscc == uscc))
    return result.first() is not None
