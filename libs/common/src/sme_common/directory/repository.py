"""Queries over the enterprise directory; the caller's region scope is part of every WHERE clause."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory

_table = enterprise_directory


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(_table.c.region_code, _table.c.reporting_unit_code, uscc_col=_table.c.uscc)


async def get(session: AsyncSession, uscc: str, scope: RegionScope) -> Row[Any] | None:
    query = select(_table).where(_table.c.uscc == uscc, _in_scope(scope))
    return (await session.execute(query)).first()


async def page(
    session: AsyncSession, scope: RegionScope, *, after: str | None, limit: int
) -> Sequence[Row[Any]]:
    """Up to ``limit + 1`` entries after the USCC ``after``, in USCC order (the extra one says
    whether another page follows)."""
    query = select(_table).where(_in_scope(scope))
    if after is not None:
        query = query.where(_table.c.uscc > after)
    return (await session.execute(query.order_by(_table.c.uscc).limit(limit + 1))).all()
