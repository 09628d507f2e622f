"""Credit products: maintained by their institution (its client) or by the province, read as a
catalogue by officers, institutions and enterprises."""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, expect_version, not_found
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_common.rules import RuleViolation
from sme_finance_matching.institutions import repository as institutions
from sme_finance_matching.institutions.domain import check_region_codes
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.institutions.service import INSTITUTION, Viewer, viewer_of
from sme_finance_matching.products import domain, repository
from sme_finance_matching.products.domain import ProductStatus
from sme_finance_matching.products.models import CreditProduct
from sme_finance_matching.products.schemas import (
    ProductCreate,
    ProductFilters,
    ProductPage,
    ProductRead,
    ProductUpdate,
)

PRODUCT = Resource("product", "credit product {key}", "信贷产品 {key}")
CURSOR = KeyCursor(re.compile(r"prod_[0-9a-f]{12}"), member="p")
_ENUM_LISTS = ("eligible_tiers", "eligible_size_classes")
_RATIOS = ("min_rate_ratio", "max_rate_ratio", "guarantee_fee_ratio")
RATIO_PLACES = Decimal("0.000001")
"""Ratios are kept to six decimals (the column's scale), and answered so whatever was sent."""


def _visible(viewer: Viewer) -> Any:
    return repository.visible(
        scope=viewer.scope,
        institution_id=viewer.institution_id,
        officer=not viewer.is_institution and not viewer.is_enterprise,
    )


async def _writable_institution(
    session: AsyncSession, viewer: Viewer, institution_id: str | None
) -> Institution:
    """The institution a caller may maintain products of: its own for an institution's client
    (another one is a 404, as if absent), one in its province for a province officer."""
    if viewer.is_institution:
        wanted = institution_id or viewer.institution_id
        if wanted != viewer.institution_id:
            raise not_found(INSTITUTION, wanted, field="institution_id")
        where = institutions.visible(None, viewer.institution_id)
    else:
        if institution_id is None:
            raise RuleViolation(
                "institution_required",
                "Name the institution that offers the product",
                "请填写提供该产品的金融机构",
                field="institution_id",
            )
        wanted = institution_id
        where = institutions.officer_clause(viewer.scope)
    assert wanted is not None
    institution = await institutions.get(session, wanted, where)
    if institution is None:
        raise not_found(INSTITUTION, wanted, field="institution_id")
    return institution


def _check_terms(values: dict[str, Any], province_code: str) -> dict[str, Any]:
    """The terms' ranges in order and their lists valid; lists stored sorted, enums as values."""
    domain.check_range(values["min_amount_fen"], values["max_amount_fen"], field="amount_fen")
    domain.check_range(values["min_rate_ratio"], values["max_rate_ratio"], field="rate_ratio")
    domain.check_range(values["min_term_months"], values["max_term_months"], field="term_months")
    values["eligible_industry_sections"] = domain.check_sections(
        values["eligible_industry_sections"], IndustryCatalog.load()
    )
    values["eligible_region_codes"] = check_region_codes(
        province_code,
        values["eligible_region_codes"],
        RegionCatalog.load(),
        field="eligible_region_codes",
    )
    for name in _RATIOS:
        if values.get(name) is not None:
            values[name] = Decimal(values[name]).quantize(RATIO_PLACES)
    for name in _ENUM_LISTS:
        values[name] = sorted({getattr(v, "value", v) for v in values[name]})
    return values


async def create_product(
    database: Database,
    *,
    command: ProductCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    if command.status not in (ProductStatus.DRAFT, ProductStatus.ACTIVE):
        raise RuleViolation(
            "product_transition_not_allowed",
            "A product is created as a draft or active",
            "信贷产品创建时只能为草稿或上架状态",
            field="status",
        )
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        viewer = await viewer_of(uow.session, actor)
        institution = await _writable_institution(uow.session, viewer, command.institution_id)
        terms = _check_terms(
            command.model_dump(exclude={"institution_id", "status", "product_type"}),
            institution.province_code,
        )
        product = CreditProduct(
            id=f"prod_{secrets.token_hex(6)}",
            institution_id=institution.id,
            **terms,
            product_type=command.product_type.value,
            status=command.status.value,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(product)
        await uow.flush()
        return 201, ProductRead.model_validate(product, from_attributes=True).model_dump(
            mode="json"
        )

    return await run_once(database, idempotency, operation)


async def update_product(
    database: Database, *, product_id: str, command: ProductUpdate, actor: Principal
) -> ProductRead:
    now = clock.now()
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        product = await repository.get(uow.session, product_id, _visible(viewer), for_update=True)
        if product is None:
            raise not_found(PRODUCT, product_id, field="product_id")
        if viewer.is_institution and product.institution_id != viewer.institution_id:
            # Visible is not writable: another institution's product in the catalogue is a 404.
            raise not_found(PRODUCT, product_id, field="product_id")
        institution = await _writable_institution(uow.session, viewer, product.institution_id)
        expect_version(PRODUCT, product_id, current=product.version, sent=command.version)
        changes = {
            k: getattr(command, k)
            for k in command.model_fields_set
            if k != "version" and (getattr(command, k) is not None or k == "guarantee_fee_ratio")
        }
        if "status" in changes:
            domain.check_status_change(ProductStatus(product.status), changes["status"])
            changes["status"] = changes["status"].value
        if "product_type" in changes:
            changes["product_type"] = changes["product_type"].value
        current = {
            name: getattr(product, name)
            for name in (
                "min_amount_fen",
                "max_amount_fen",
                "min_rate_ratio",
                "max_rate_ratio",
                "min_term_months",
                "max_term_months",
                "eligible_tiers",
                "eligible_industry_sections",
                "eligible_region_codes",
                "eligible_size_classes",
            )
        }
        checked = _check_terms(
            {"guarantee_fee_ratio": product.guarantee_fee_ratio, **current, **changes},
            institution.province_code,
        )
        changes.update({k: checked[k] for k in (*current, "guarantee_fee_ratio") if k in changes})
        changed = {k: v for k, v in changes.items() if getattr(product, k) != v}
        if changed:
            for key, value in changed.items():
                setattr(product, key, value)
            product.version += 1
            product.updated_at, product.updated_by = now, actor.subject
            await uow.flush()
            await uow.commit()
        return ProductRead.model_validate(product, from_attributes=True)


async def get_product(database: Database, *, product_id: str, actor: Principal) -> ProductRead:
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        product = await repository.get(uow.session, product_id, _visible(viewer))
        if product is None:
            raise not_found(PRODUCT, product_id, field="product_id")
        return ProductRead.model_validate(product, from_attributes=True)


async def list_products(
    database: Database, *, filters: ProductFilters, actor: Principal
) -> ProductPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        rows = await repository.find(uow.session, _visible(viewer), filters, after=after)
        page, last = split_page(rows, filters.limit)
        return ProductPage(
            items=[ProductRead.model_validate(p, from_attributes=True) for p in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )
