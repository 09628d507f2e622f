"""Every query of the products module; who sees which product is part of the WHERE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import RegionScope
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.institutions.repository import officer_clause
from sme_finance_matching.products.models import CreditProduct
from sme_finance_matching.products.schemas import ProductFilters

_IN_CATALOGUE = and_(CreditProduct.status == "active", Institution.status == "active")


def visible(*, scope: RegionScope, institution_id: str | None, officer: bool) -> Any:
    """The catalogue (active products of active institutions) for everyone; its own products in
    every status for an institution; for an officer, every product of the institutions it sees.
    The query joins ``Institution``."""
    if institution_id is not None:
        return or_(_IN_CATALOGUE, CreditProduct.institution_id == institution_id)
    if officer:
        return officer_clause(scope)
    return _IN_CATALOGUE


def _joined() -> Any:
    return select(CreditProduct).join(Institution, Institution.id == CreditProduct.institution_id)


async def get(
    session: AsyncSession, product_id: str, where: Any = None, *, for_update: bool = False
) -> CreditProduct | None:
    query = _joined().where(CreditProduct.id == product_id, true() if where is None else where)
    if for_update:
        query = query.with_for_update(of=CreditProduct)
    return (await session.scalars(query)).first()


async def find(
    session: AsyncSession, where: Any, filters: ProductFilters, *, after: str | None
) -> Sequence[CreditProduct]:
    query = _joined().where(where)
    if filters.institution_id is not None:
        query = query.where(CreditProduct.institution_id == filters.institution_id)
    if filters.product_type is not None:
        query = query.where(CreditProduct.product_type == filters.product_type.value)
    if filters.status is not None:
        query = query.where(CreditProduct.status == filters.status.value)
    if filters.tier is not None:
        query = query.where(
            or_(
                func.cardinality(CreditProduct.eligible_tiers) == 0,
                CreditProduct.eligible_tiers.contains([filters.tier.value]),
            )
        )
    if after is not None:
        query = query.where(CreditProduct.id > after)
    return (await session.scalars(query.order_by(CreditProduct.id).limit(filters.limit + 1))).all()


async def catalogue(
    session: AsyncSession, *, institution_ids: Sequence[str] | None = None
) -> Sequence[CreditProduct]:
    """Active products of active institutions (optionally of these institutions only): what is
    matched to needs and what a list snapshot carries as the product catalogue."""
    query = _joined().where(_IN_CATALOGUE)
    if institution_ids is not None:
        query = query.where(CreditProduct.institution_id.in_(institution_ids))
    return (await session.scalars(query.order_by(CreditProduct.id))).all()
