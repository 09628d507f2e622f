"""Queries over credit flags and their revisions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.text import fold
from sme_registry.flags.models import CreditFlag, CreditFlagRevision


async def get(
    session: AsyncSession, flag_id: str, *, for_update: bool = False
) -> CreditFlag | None:
    return await session.get(CreditFlag, flag_id, with_for_update=for_update)


async def of_enterprise(session: AsyncSession, uscc: str) -> Sequence[CreditFlag]:
    """Every flag of ``uscc``, in force or not, by start date."""
    query = select(CreditFlag).where(CreditFlag.uscc == uscc).order_by(CreditFlag.started_on)
    return (await session.execute(query)).scalars().all()


async def same_flag(
    session: AsyncSession, *, uscc: str, kind: str, source: str, reference: str
) -> str | None:
    """The id of a flag of this kind already recorded from this source under this reference.
    The same source and reference written another way (全角, case, blanks) is the same flag:
    compare the folds (``sme_fold`` is the SQL twin of ``fold``)."""
    query = select(CreditFlag.id).where(
        CreditFlag.uscc == uscc,
        CreditFlag.kind == kind,
        func.sme_fold(CreditFlag.source) == fold(source),
        func.sme_fold(CreditFlag.reference) == fold(reference),
    )
    return (await session.execute(query)).scalars().first()


async def revisions(session: AsyncSession, flag_id: str) -> Sequence[CreditFlagRevision]:
    query = (
        select(CreditFlagRevision)
        .where(CreditFlagRevision.flag_id == flag_id)
        .order_by(CreditFlagRevision.version)
    )
    return (await session.execute(query)).scalars().all()


async def insert_if_absent(session: AsyncSession, **values: Any) -> bool:
    """Insert a flag under the id given unless a flag with that id exists; True when inserted."""
    inserted = await session.execute(
        pg_insert(CreditFlag)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(CreditFlag.id)
    )
    return inserted.scalar_one_or_none() is not None
