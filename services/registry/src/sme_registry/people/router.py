from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from sme_common.api import IDEMPOTENT, replay_header
from sme_common.audit.recorder import audit_read
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_common.idempotency import idempotency_key_from
from sme_registry.dependencies import IdPath, UsccPath, own_record_reader, reader, writer
from sme_registry.people import service
from sme_registry.people.schemas import (
    AssignmentCreate,
    AssignmentEnd,
    AssignmentRead,
    CommissionerGapReport,
    EnterprisePeople,
    PeopleQuery,
    PersonCreate,
    PersonPage,
    PersonRead,
)

router = APIRouter(tags=["service commissioners and financial advisers"])


@router.post(
    "/people",
    status_code=201,
    response_model=PersonRead,
    openapi_extra=IDEMPOTENT,
    responses={
        201: {"headers": replay_header()},
        **problems(
            409,
            codes={
                409: ("idempotency_key_reused",),
                422: ("region_unknown", "idempotency_key_invalid"),
                403: ("region_forbidden",),
            },
        ),
    },
)
async def create_person(
    request: Request, body: PersonCreate, principal: Annotated[Principal, Depends(writer)]
) -> JSONResponse:
    """Appoint a service commissioner (服务专员) or financial adviser (金融顾问) in your region.
    Send an ``Idempotency-Key`` so that a retry never appoints twice."""
    outcome = await service.create_person(
        request.app.state.database,
        command=body,
        actor=principal,
        idempotency=await idempotency_key_from(request, principal.subject),
    )
    return outcome.response()


@router.get(
    "/people",
    response_model=PersonPage,
    dependencies=[audit_read("service_person", reader, id_param=None)],
)
async def list_people(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    query: Annotated[PeopleQuery, Query()],
) -> PersonPage:
    return await service.list_people(request.app.state.database, actor=principal, role=query.role)


@router.post(
    "/people/{person_id}/assignments",
    status_code=201,
    response_model=AssignmentRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("person_not_found", "enterprise_not_found"),
            409: ("already_assigned",),
            422: ("started_on_in_future",),
            403: ("region_forbidden",),
        },
    ),
)
async def assign_person(
    request: Request,
    person_id: IdPath,
    body: AssignmentCreate,
    principal: Annotated[Principal, Depends(writer)],
) -> AssignmentRead:
    return await service.assign(
        request.app.state.database, person_id=person_id, command=body, actor=principal
    )


@router.post(
    "/people/{person_id}/assignments/{assignment_id}/end",
    response_model=AssignmentRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("person_not_found", "assignment_not_found"),
            409: ("assignment_ended",),
            422: ("ended_before_assigned",),
        },
    ),
)
async def end_assignment(
    request: Request,
    person_id: IdPath,
    assignment_id: IdPath,
    body: AssignmentEnd,
    principal: Annotated[Principal, Depends(writer)],
) -> AssignmentRead:
    return await service.end_assignment(
        request.app.state.database,
        person_id=person_id,
        assignment_id=assignment_id,
        command=body,
        actor=principal,
    )


@router.get(
    "/enterprises/{uscc}/people",
    response_model=EnterprisePeople,
    dependencies=[audit_read("enterprise_people", own_record_reader)],
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def list_enterprise_people(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_record_reader)]
) -> EnterprisePeople:
    return await service.enterprise_people(request.app.state.database, uscc=uscc, actor=principal)


@router.get("/reports/little-giants-without-commissioner", response_model=CommissionerGapReport)
async def report_commissioner_gaps(
    request: Request, principal: Annotated[Principal, Depends(reader)]
) -> CommissionerGapReport:
    """小巨人 enterprises with no active service commissioner, by county, in your region."""
    return await service.commissioner_gaps(request.app.state.database, actor=principal)
