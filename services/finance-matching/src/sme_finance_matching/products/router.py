from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from sme_common.api import (
    ETAG_HEADER,
    IDEMPOTENT,
    NOT_MODIFIED,
    IdPath,
    expected_version,
    replay_header,
    versioned_response,
)
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_finance_matching.dependencies import catalogue_reader, product_writer
from sme_finance_matching.products import service
from sme_finance_matching.products.schemas import (
    ProductCreate,
    ProductFilters,
    ProductPage,
    ProductRead,
    ProductUpdate,
)

router = APIRouter(tags=["products"])

_TERMS_CODES = (
    "range_inverted",
    "industry_section_unknown",
    "region_not_served_unit",
    "product_transition_not_allowed",
)


@router.post(
    "/products",
    status_code=201,
    response_model=ProductRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            404,
            409,
            codes={
                404: ("institution_not_found",),
                409: ("idempotency_key_reused",),
                422: (*_TERMS_CODES, "institution_required", "idempotency_key_invalid"),
                403: ("institution_client_unknown",),
            },
        ),
    },
)
async def create_product(
    request: Request, body: ProductCreate, principal: Annotated[Principal, Depends(product_writer)]
) -> JSONResponse:
    """Publish a credit product (信贷产品): an institution for itself, or a province officer for
    an institution of the province. Created as a draft unless ``status`` is ``active``."""
    outcome = await service.create_product(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get(
    "/products",
    response_model=ProductPage,
    responses=problems(codes={403: ("institution_client_unknown",)}),
)
async def list_products(
    request: Request,
    filters: Annotated[ProductFilters, Query()],
    principal: Annotated[Principal, Depends(catalogue_reader)],
) -> ProductPage:
    """The credit-product catalogue (信贷产品目录): active products of active institutions, and
    an institution's own drafts and withdrawn products for that institution alone."""
    return await service.list_products(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/products/{product_id}",
    response_model=ProductRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("product_not_found",), 403: ("institution_client_unknown",)}),
    },
)
async def get_product(
    request: Request,
    product_id: IdPath,
    principal: Annotated[Principal, Depends(catalogue_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    product = await service.get_product(
        request.app.state.database, product_id=product_id, actor=principal
    )
    return versioned_response(product, product.version, if_none_match=if_none_match)


@router.patch(
    "/products/{product_id}",
    response_model=ProductRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("product_not_found", "institution_not_found"),
                409: ("version_required", "version_conflict"),
                422: (*_TERMS_CODES, "if_match_invalid", "if_match_mismatch"),
                403: ("institution_client_unknown",),
            },
        ),
    },
)
async def update_product(
    request: Request,
    product_id: IdPath,
    body: ProductUpdate,
    principal: Annotated[Principal, Depends(product_writer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change a product's terms or status (draft → active ⇄ withdrawn); needs the version you
    read (``version`` or ``If-Match``). Its institution or a province officer only."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    product = await service.update_product(
        request.app.state.database, product_id=product_id, command=command, actor=principal
    )
    return versioned_response(product, product.version)
