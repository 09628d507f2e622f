"""Every query of the institutions module; who sees which institution is part of the WHERE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionLevel, RegionScope
from sme_common.reference.regions import RegionCatalog
from sme_finance_matching.institutions.models import Institution, InstitutionClient
from sme_finance_matching.institutions.schemas import InstitutionFilters


def officer_clause(scope: RegionScope) -> Any:
    """Institutions an officer sees: those of its province (province officers), those serving its
    市州 or the whole province (市州 and 县区 officers)."""
    if scope.level is RegionLevel.ALL:
        return true()
    if not scope.code:
        return false()
    province = scope.code[:2] + "0000"
    if scope.level is RegionLevel.PROVINCE:
        return Institution.province_code == province
    if scope.level in (RegionLevel.REPORTING_UNIT, RegionLevel.COUNTY):
        unit = RegionCatalog.load().reporting_unit_for(scope.code)
        if unit is None:
            return false()
        return Institution.region_codes.overlap([unit.code, province])
    return false()


def visible(scope: RegionScope | None, institution_id: str | None) -> Any:
    """Its own record for an institution's client, the region's for an officer."""
    if institution_id is not None:
        return Institution.id == institution_id
    return officer_clause(scope) if scope is not None else false()


async def get(
    session: AsyncSession, institution_id: str, where: Any = None, *, for_update: bool = False
) -> Institution | None:
    query = select(Institution).where(Institution.id == institution_id)
    if where is not None:
        query = query.where(where)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def get_by_uscc(session: AsyncSession, uscc: str) -> Institution | None:
    return (await session.scalars(select(Institution).where(Institution.uscc == uscc))).first()


async def find(
    session: AsyncSession, where: Any, filters: InstitutionFilters, *, after: str | None
) -> Sequence[Institution]:
    query = select(Institution).where(where)
    if filters.kind is not None:
        query = query.where(Institution.kind == filters.kind.value)
    if filters.status is not None:
        query = query.where(Institution.status == filters.status.value)
    if filters.region_code is not None:
        province = filters.region_code[:2] + "0000"
        query = query.where(Institution.region_codes.overlap([filters.region_code, province]))
    if after is not None:
        query = query.where(Institution.id > after)
    return (await session.scalars(query.order_by(Institution.id).limit(filters.limit + 1))).all()


async def client_ids(session: AsyncSession, institution_ids: Sequence[str]) -> dict[str, list[str]]:
    rows = await session.execute(
        select(InstitutionClient.institution_id, InstitutionClient.client_id)
        .where(InstitutionClient.institution_id.in_(institution_ids))
        .order_by(InstitutionClient.client_id)
    )
    found: dict[str, list[str]] = {i: [] for i in institution_ids}
    for institution_id, client_id in rows:
        found[institution_id].append(client_id)
    return found


async def get_client(session: AsyncSession, client_id: str) -> InstitutionClient | None:
    return await session.get(InstitutionClient, client_id)


async def institution_of_client(session: AsyncSession, client_id: str) -> Institution | None:
    """The one institution a client acts for (``institution_client`` is keyed by the client)."""
    query = (
        select(Institution)
        .join(InstitutionClient, InstitutionClient.institution_id == Institution.id)
        .where(InstitutionClient.client_id == client_id)
    )
    return (await session.scalars(query)).first()


async def serving(
    session: AsyncSession, *, reporting_unit_code: str, tier: str
) -> Sequence[Institution]:
    """Active institutions that are sent an enterprise of ``tier`` in ``reporting_unit_code``
    (the SQL form of ``domain.serves``: a list snapshot's recipients)."""
    province = reporting_unit_code[:2] + "0000"
    query = select(Institution).where(
        Institution.status == "active",
        Institution.province_code == province,
        Institution.region_codes.overlap([reporting_unit_code, province]),
        Institution.tiers.contains([tier]),
    )
    return (await session.scalars(query.order_by(Institution.id))).all()


async def active_ids(session: AsyncSession, institution_ids: Sequence[str]) -> set[str]:
    """Those of ``institution_ids`` that are registered and active."""
    query = select(Institution.id).where(
        Institution.id.in_(institution_ids), Institution.status == "active"
    )
    return set((await session.scalars(query)).all())
