from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from sme_certification.dependencies import application_step_responses, expert, province_officer
from sme_certification.experts import service
from sme_certification.experts.schemas import (
    AssignedApplication,
    AssignedPage,
    AssignmentRequest,
    ExpertCreate,
    ExpertPage,
    ExpertRead,
    ExpertUpdate,
    Panel,
    ScoreSubmit,
)
from sme_common.api import IdPath, expected_version
from sme_common.auth import Principal
from sme_common.errors import problems

router = APIRouter(tags=["experts"])

PROVINCE_ONLY = ("province_region_required",)


@router.post(
    "/experts",
    status_code=201,
    response_model=ExpertRead,
    responses=problems(
        409,
        codes={
            403: ("region_forbidden",),
            409: ("expert_subject_exists",),
            422: ("region_unknown", *PROVINCE_ONLY),
        },
    ),
)
async def register_expert(
    request: Request, body: ExpertCreate, principal: Annotated[Principal, Depends(province_officer)]
) -> ExpertRead:
    """Register an expert in your province's pool: name, the ``sub`` of their token (role
    ``expert``), home county, specialities and declared conflicts (USCCs)."""
    return await service.register_expert(request.app.state.database, command=body, actor=principal)


@router.get(
    "/experts",
    response_model=ExpertPage,
    responses=problems(codes={422: PROVINCE_ONLY}),
)
async def list_experts(
    request: Request, principal: Annotated[Principal, Depends(province_officer)]
) -> ExpertPage:
    """Your province's expert pool."""
    return await service.list_experts(request.app.state.database, actor=principal)


@router.patch(
    "/experts/{expert_id}",
    response_model=ExpertRead,
    responses=problems(
        404,
        409,
        codes={
            404: ("expert_not_found",),
            409: ("version_conflict",),
            422: ("if_match_invalid", "if_match_mismatch", *PROVINCE_ONLY),
        },
    ),
)
async def update_expert(
    request: Request,
    expert_id: IdPath,
    body: ExpertUpdate,
    principal: Annotated[Principal, Depends(province_officer)],
    if_match: Annotated[str | None, Header()] = None,
) -> ExpertRead:
    """Change an expert's specialities, declared conflicts or whether they are drawn (``active``);
    needs the version. Assignments already made stay."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    return await service.update_expert(
        request.app.state.database, expert_id=expert_id, command=command, actor=principal
    )


@router.post(
    "/applications/{application_id}/experts",
    status_code=201,
    response_model=Panel,
    responses=application_step_responses(invalid=("experts_too_few",), etag=False),
)
async def assign_experts(
    request: Request,
    application_id: IdPath,
    body: AssignmentRequest,
    principal: Annotated[Principal, Depends(province_officer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Panel:
    """Draw the application's experts at random from the province's pool, after the provincial
    review: none from the applicant's county, none with a declared conflict with it."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    return await service.assign_experts(
        request.app.state.database,
        application_id=application_id,
        command=command,
        default_count=request.app.state.settings.expert_panel_size,
        actor=principal,
    )


@router.get(
    "/applications/{application_id}/experts",
    response_model=Panel,
    responses=problems(404, codes={404: ("application_not_found",)}),
)
async def expert_panel(
    request: Request,
    application_id: IdPath,
    principal: Annotated[Principal, Depends(province_officer)],
) -> Panel:
    """The application's experts, each one's score and remarks, and the mean once all scored."""
    return await service.expert_panel(
        request.app.state.database, application_id=application_id, actor=principal
    )


@router.get("/expert/assignments", response_model=AssignedPage)
async def my_assignments(
    request: Request, principal: Annotated[Principal, Depends(expert)]
) -> AssignedPage:
    """The applications assigned to you (the token's ``sub``), with your own score only."""
    return await service.my_assignments(request.app.state.database, actor=principal)


@router.get(
    "/expert/assignments/{assignment_id}",
    response_model=AssignedApplication,
    responses=problems(404, codes={404: ("assignment_not_found",)}),
)
async def my_assignment(
    request: Request, assignment_id: IdPath, principal: Annotated[Principal, Depends(expert)]
) -> AssignedApplication:
    """One application assigned to you: its declared values and the rules' explanation."""
    return await service.my_assignment(
        request.app.state.database, assignment_id=assignment_id, actor=principal
    )


@router.post(
    "/expert/assignments/{assignment_id}/score",
    response_model=AssignedApplication,
    responses=problems(
        404,
        409,
        codes={
            404: ("assignment_not_found",),
            409: ("score_already_given", "transition_not_allowed"),
            422: ("score_or_criteria", "score_out_of_range"),
        },
    ),
)
async def score_assignment(
    request: Request,
    assignment_id: IdPath,
    body: ScoreSubmit,
    principal: Annotated[Principal, Depends(expert)],
) -> AssignedApplication:
    """Your score (overall, or by criterion: the sum is the overall) with remarks, once. Other
    experts' scores are never shown to you."""
    return await service.score(
        request.app.state.database, assignment_id=assignment_id, command=body, actor=principal
    )
