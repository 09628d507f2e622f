"""Queries over certificates, their number counters and bans. Region scope goes into the SQL,
through the enterprise directory (``sme_common.directory``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Row, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_certification.certificates.models import (
    Certificate,
    CertificateNumberCounter,
    ReapplicationBan,
)
from sme_common.auth.principal import RegionScope
from sme_common.directory.models import enterprise_directory

_directory = enterprise_directory
Named = tuple[Certificate, str]
"""A certificate and its enterprise's name (from the directory)."""


def _named(row: Row[Any] | None) -> Named | None:
    if row is None:
        return None
    return cast(Named, tuple(row))


def _in_scope(scope: RegionScope) -> Any:
    return scope.clause(_directory.c.region_code, _directory.c.reporting_unit_code)


def _scoped() -> Any:
    """Certificates with their enterprise's name (every certificate's enterprise is in the
    directory: granting checks it)."""
    return select(Certificate, _directory.c.name).join(
        _directory, _directory.c.uscc == Certificate.uscc
    )


async def in_scope(
    session: AsyncSession, certificate_id: str, scope: RegionScope, *, for_update: bool = False
) -> Named | None:
    """(certificate, enterprise name) when the certificate's enterprise is in ``scope``."""
    query = _scoped().where(Certificate.id == certificate_id, _in_scope(scope))
    if for_update:
        query = query.with_for_update(of=Certificate)
    return _named((await session.execute(query)).first())


async def by_id(
    session: AsyncSession, certificate_id: str, *, for_update: bool = False
) -> Certificate | None:
    return await session.get(Certificate, certificate_id, with_for_update=for_update)


async def page(
    session: AsyncSession,
    scope: RegionScope,
    *,
    uscc: str | None,
    tier: str | None,
    status: str | None,
    after: str | None,
    limit: int,
) -> list[Named]:
    """Up to ``limit + 1`` (certificate, name) rows after the id ``after``, in id order."""
    query = _scoped().where(_in_scope(scope))
    if uscc is not None:
        query = query.where(Certificate.uscc == uscc)
    if tier is not None:
        query = query.where(Certificate.tier == tier)
    if status is not None:
        query = query.where(Certificate.status == status)
    if after is not None:
        query = query.where(Certificate.id > after)
    rows = (await session.execute(query.order_by(Certificate.id).limit(limit + 1))).all()
    return [(certificate, name) for certificate, name in rows]


async def by_verification_code(session: AsyncSession, code: str) -> Named | None:
    """(certificate, enterprise name) of a code, classified certificates excluded."""
    query = _scoped().where(
        Certificate.verification_code == code, Certificate.classified.is_(False)
    )
    return _named((await session.execute(query)).first())


async def of_enterprise(session: AsyncSession, uscc: str) -> Sequence[Certificate]:
    """Every certificate of ``uscc``, whatever its status, oldest first."""
    query = (
        select(Certificate)
        .where(Certificate.uscc == uscc)
        .order_by(Certificate.issued_on, Certificate.id)
    )
    return (await session.scalars(query)).all()


async def enterprise_name(session: AsyncSession, uscc: str) -> str | None:
    query = select(_directory.c.name).where(_directory.c.uscc == uscc)
    return (await session.execute(query)).scalar_one_or_none()


async def number_taken(session: AsyncSession, number: str) -> bool:
    return bool(await session.scalar(select(exists().where(Certificate.number == number))))


async def code_taken(session: AsyncSession, code: str) -> bool:
    return bool(await session.scalar(select(exists().where(Certificate.verification_code == code))))


async def same_title_in_force(
    session: AsyncSession, *, uscc: str, tier: str, level: str
) -> str | None:
    """The number of a certificate of this title ``uscc`` holds and that is still in force."""
    query = select(Certificate.number).where(
        Certificate.uscc == uscc,
        Certificate.tier == tier,
        Certificate.level == level,
        Certificate.status.in_(("valid", "under_re_review")),
    )
    return (await session.execute(query)).scalars().first()


async def next_sequence(session: AsyncSession, *, prefix: str, tier_code: str, year: int) -> int:
    """The next sequence of (prefix, tier, year). The counter row stays locked until the
    transaction ends, so concurrent grants queue here and numbers have no gaps."""
    await session.execute(
        pg_insert(CertificateNumberCounter)
        .values(prefix=prefix, tier_code=tier_code, year=year, last_value=0)
        .on_conflict_do_nothing()
    )
    result = await session.execute(
        update(CertificateNumberCounter)
        .where(
            CertificateNumberCounter.prefix == prefix,
            CertificateNumberCounter.tier_code == tier_code,
            CertificateNumberCounter.year == year,
        )
        .values(last_value=CertificateNumberCounter.last_value + 1)
        .returning(CertificateNumberCounter.last_value)
    )
    return int(result.scalar_one())


async def due_for_re_review(session: AsyncSession, *, notify_until: date) -> Sequence[str]:
    """Valid certificates whose last valid day is on or before ``notify_until``, not yet told."""
    query = select(Certificate.id).where(
        Certificate.status == "valid",
        Certificate.expires_on <= notify_until,
        Certificate.re_review_notified_on.is_(None),
    )
    return (await session.execute(query.order_by(Certificate.id))).scalars().all()


async def past_expiry(session: AsyncSession, *, today: date) -> Sequence[Certificate]:
    """Certificates in force whose last valid day is before ``today``."""
    query = select(Certificate).where(
        Certificate.status.in_(("valid", "under_re_review")), Certificate.expires_on < today
    )
    return (await session.execute(query.order_by(Certificate.id))).scalars().all()


async def ban_of_certificate(session: AsyncSession, certificate_id: str) -> ReapplicationBan | None:
    query = select(ReapplicationBan).where(ReapplicationBan.certificate_id == certificate_id)
    return (await session.execute(query)).scalars().first()


async def active_ban(session: AsyncSession, uscc: str, on: date) -> ReapplicationBan | None:
    """The ban on reapplying that ``uscc`` is under on ``on``, if any (the latest ending)."""
    query = (
        select(ReapplicationBan)
        .where(
            ReapplicationBan.uscc == uscc,
            ReapplicationBan.starts_on <= on,
            ReapplicationBan.ends_on >= on,
        )
        .order_by(ReapplicationBan.ends_on.desc())
    )
    return (await session.execute(query)).scalars().first()
