from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from sme_common.api import ETAG_HEADER, NOT_MODIFIED, versioned_response
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_registry.dependencies import (
    UsccPath,
    Year,
    expected_version,
    facts_filer,
    own_record_reader,
)
from sme_registry.facts import service
from sme_registry.facts.schemas import FactsPage, FactsRead, FactsWrite

router = APIRouter(tags=["yearly facts"])


@router.put(
    "/enterprises/{uscc}/facts/{year}",
    response_model=FactsRead,
    responses={
        200: {"description": "Corrected (or unchanged)", "headers": ETAG_HEADER},
        201: {"description": "Filed", "model": FactsRead, "headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("enterprise_not_found",),
                409: ("version_required", "version_conflict"),
                422: (
                    "if_match_invalid",
                    "if_match_mismatch",
                    "year_in_future",
                    "year_before_founding",
                    "value_negative",
                    "value_implausible",
                    "digital_level_invalid",
                ),
                403: (
                    "region_forbidden",
                    "facts_source_not_self_declared",
                    "facts_filed_by_another_source",
                ),
            },
        ),
    },
)
async def file_facts(
    request: Request,
    uscc: UsccPath,
    year: Year,
    body: FactsWrite,
    principal: Annotated[Principal, Depends(facts_filer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """File (201) or correct (200) one year's facts. Correcting needs the ``version`` you read
    (in the body or as ``If-Match``): without it a filed year is a 409 ``version_required``, a
    stale one a 409 ``version_conflict``. The same facts again change nothing. An enterprise
    files only its own, as ``self_declared``, and never over a year another source filed."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    facts, created = await service.file_facts(
        request.app.state.database, uscc=uscc, year=year, command=command, actor=principal
    )
    return versioned_response(facts, facts.version, status_code=201 if created else 200)


@router.get(
    "/enterprises/{uscc}/facts/{year}",
    response_model=FactsRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("enterprise_not_found", "facts_not_found")}),
    },
)
async def get_facts(
    request: Request,
    uscc: UsccPath,
    year: Year,
    principal: Annotated[Principal, Depends(own_record_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One year's facts; the ``ETag`` is the version to send back (``If-Match``) to correct them,
    or as ``If-None-Match`` to be answered 304 while they are unchanged."""
    facts = await service.get_facts(
        request.app.state.database, uscc=uscc, year=year, actor=principal
    )
    return versioned_response(facts, facts.version, if_none_match=if_none_match)


@router.get(
    "/enterprises/{uscc}/facts",
    response_model=FactsPage,
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def list_facts(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_record_reader)]
) -> FactsPage:
    return await service.list_facts(request.app.state.database, uscc=uscc, actor=principal)
