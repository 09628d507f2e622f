"""Queries of the certified population and its change log.

Change positions (``certified_change.seq``) are drawn while holding a transaction-scoped advisory
lock that is released only at commit: no two writers hold positions at the same time, so positions
become visible in the order they were drawn and ``seq > cursor`` never skips a row committed
later with a smaller position (the same guarantee the outbox's feed position gives, docs/adr and
``add_outbox_feed_position_v2``). A snapshot takes the same lock shared, so that its rows and its
cursor are of one moment."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.directory.models import enterprise_directory as directory
from sme_common.directory.repository import latest_size_class_of
from sme_finance_matching.certified.models import CertifiedChange, CertifiedEnterprise

CHANGE_LOCK = 0x5F4D_4345_5254
"""The advisory lock key of the change log ("_MCERT")."""
CHANGE_SEQUENCE = "certified_change_seq"


def titled(today: date) -> tuple[ColumnElement[bool], ...]:
    """Holding a valid title today (not revoked, not expired): the population the bank lists and
    the enterprise pushes are made of."""
    c = CertifiedEnterprise
    return (c.status == "valid", c.expires_on >= today)


def listed_columns() -> list[Any]:
    """A listed enterprise as the lists and pushes show it, read from ``CertifiedEnterprise``
    joined to the directory: its certificate, its place and industry, and the latest size class
    registry decided (the order of ``lists.domain.ENTERPRISE_FIELDS`` up to ``size_class``)."""
    c, d = CertifiedEnterprise, directory.c
    return [
        c.uscc,
        d.name,
        c.tier,
        c.level,
        c.certificate_id,
        c.issued_on,
        c.expires_on,
        d.region_code,
        d.reporting_unit_code,
        d.industry_code,
        latest_size_class_of(c.uscc).label("size_class"),
    ]


async def lock_for_change(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CHANGE_LOCK})


async def lock_for_snapshot(session: AsyncSession) -> None:
    await session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": CHANGE_LOCK})


async def next_position(session: AsyncSession) -> int:
    return int((await session.execute(text(f"SELECT nextval('{CHANGE_SEQUENCE}')"))).scalar_one())


async def head(session: AsyncSession) -> int:
    """The last committed position (0 before the first change)."""
    return int(
        (
            await session.execute(select(func.coalesce(func.max(CertifiedChange.seq), 0)))
        ).scalar_one()
    )


async def get(
    session: AsyncSession, uscc: str, *, for_update: bool = False
) -> CertifiedEnterprise | None:
    query = select(CertifiedEnterprise).where(CertifiedEnterprise.uscc == uscc)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()
