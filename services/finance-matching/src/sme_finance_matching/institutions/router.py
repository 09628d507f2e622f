from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
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
from sme_finance_matching.dependencies import (
    institution_editor,
    institution_manager,
    institution_reader,
)
from sme_finance_matching.institutions import service
from sme_finance_matching.institutions.schemas import (
    ClientLink,
    InstitutionCreate,
    InstitutionFilters,
    InstitutionPage,
    InstitutionRead,
    InstitutionUpdate,
)

router = APIRouter(tags=["institutions"])

ClientIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
_CALLER = {403: ("institution_client_unknown",)}


@router.post(
    "/institutions",
    status_code=201,
    response_model=InstitutionRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            409,
            codes={
                409: ("institution_exists", "client_already_linked", "idempotency_key_reused"),
                422: ("province_unknown", "region_not_served_unit", "idempotency_key_invalid"),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def create_institution(
    request: Request,
    body: InstitutionCreate,
    principal: Annotated[Principal, Depends(institution_manager)],
) -> JSONResponse:
    """Register a bank, guarantee agency, insurer or securities firm (金融机构) with the 市州 and
    tiers it serves and the OAuth2 clients acting for it. The province's officers only."""
    outcome = await service.create_institution(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get("/institutions", response_model=InstitutionPage, responses=problems(codes=_CALLER))
async def list_institutions(
    request: Request,
    filters: Annotated[InstitutionFilters, Query()],
    principal: Annotated[Principal, Depends(institution_reader)],
) -> InstitutionPage:
    """Institutions serving the officer's region; for an institution's client, itself alone."""
    return await service.list_institutions(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/institutions/{institution_id}",
    response_model=InstitutionRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **NOT_MODIFIED,
        **problems(404, codes={404: ("institution_not_found",), **_CALLER}),
    },
)
async def get_institution(
    request: Request,
    institution_id: IdPath,
    principal: Annotated[Principal, Depends(institution_reader)],
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    institution = await service.get_institution(
        request.app.state.database, institution_id=institution_id, actor=principal
    )
    return versioned_response(institution, institution.version, if_none_match=if_none_match)


@router.patch(
    "/institutions/{institution_id}",
    response_model=InstitutionRead,
    responses={
        200: {"headers": ETAG_HEADER},
        **problems(
            404,
            409,
            codes={
                404: ("institution_not_found",),
                409: ("version_required", "version_conflict"),
                422: ("region_not_served_unit", "if_match_invalid", "if_match_mismatch"),
                403: ("institution_client_unknown", "institution_field_forbidden"),
            },
        ),
    },
)
async def update_institution(
    request: Request,
    institution_id: IdPath,
    body: InstitutionUpdate,
    principal: Annotated[Principal, Depends(institution_editor)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Change the name, the 市州 and tiers served (the institution itself or the province) or
    the status (the province); needs the version you read (``version`` or ``If-Match``)."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    institution = await service.update_institution(
        request.app.state.database, institution_id=institution_id, command=command, actor=principal
    )
    return versioned_response(institution, institution.version)


@router.post(
    "/institutions/{institution_id}/clients",
    response_model=InstitutionRead,
    responses=problems(
        404,
        409,
        codes={404: ("institution_not_found",), 409: ("client_already_linked",)},
    ),
)
async def link_institution_client(
    request: Request,
    institution_id: IdPath,
    body: ClientLink,
    principal: Annotated[Principal, Depends(institution_manager)],
) -> InstitutionRead:
    """Let an OAuth2 client (registered at the issuer with role ``bank`` or ``guarantor`` and the
    ``finance:*`` scopes) act for this institution; a client acts for one institution only."""
    return await service.link_client(
        request.app.state.database,
        institution_id=institution_id,
        client_id=body.client_id,
        actor=principal,
    )


@router.delete(
    "/institutions/{institution_id}/clients/{client_id}",
    response_model=InstitutionRead,
    responses=problems(404, codes={404: ("institution_not_found", "client_not_found")}),
)
async def unlink_institution_client(
    request: Request,
    institution_id: IdPath,
    client_id: ClientIdPath,
    principal: Annotated[Principal, Depends(institution_manager)],
) -> InstitutionRead:
    """The client stops acting for the institution: its tokens are refused from now on."""
    return await service.unlink_client(
        request.app.state.database,
        institution_id=institution_id,
        client_id=client_id,
        actor=principal,
    )
