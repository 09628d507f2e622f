from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from sme_common.api import IdPath
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_finance_matching.dependencies import feedback_reader, feedback_writer
from sme_finance_matching.feedback import service
from sme_finance_matching.feedback.schemas import (
    FeedbackCreate,
    FeedbackFilters,
    FeedbackPage,
    FeedbackRead,
)

router = APIRouter(tags=["feedback"])

_CALLER = ("institution_client_unknown",)


@router.post(
    "/feedback",
    status_code=201,
    response_model=FeedbackRead,
    responses={
        200: {
            "description": "The report already recorded under this external_id",
            "model": FeedbackRead,
        },
        **problems(
            404,
            409,
            codes={
                403: _CALLER,
                404: ("need_not_found", "enterprise_not_found"),
                409: ("feedback_conflict",),
                422: (
                    "uscc_required",
                    "uscc_mismatch",
                    "product_unknown",
                    "outcome_on_in_future",
                    "feedback_field_required",
                    "feedback_field_not_allowed",
                    "need_closed",
                    "need_transition_not_allowed",
                ),
            },
        ),
    },
)
async def report_feedback(
    request: Request,
    body: FeedbackCreate,
    principal: Annotated[Principal, Depends(feedback_writer)],
) -> JSONResponse:
    """Report an outcome (反馈) on an enterprise in a 市州 you serve or on a need you see:
    contacted, granted (amount, rate, term, guarantee fee rate, 首贷) or refused (reason). A
    granted or refused outcome on a need moves the need. Idempotent by your ``external_id``: the
    same content again answers the recorded report (200), other content 409."""
    return await service.report(request.app.state.database, command=body, actor=principal)


@router.get("/feedback", response_model=FeedbackPage, responses=problems(codes={403: _CALLER}))
async def list_feedback(
    request: Request,
    filters: Annotated[FeedbackFilters, Query()],
    principal: Annotated[Principal, Depends(feedback_reader)],
) -> FeedbackPage:
    """Reports on enterprises of the officer's region, on the enterprise itself, or (an
    institution's client) its institution's own."""
    return await service.list_feedback(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/feedback/{feedback_id}",
    response_model=FeedbackRead,
    responses=problems(404, codes={404: ("feedback_not_found",), 403: _CALLER}),
)
async def get_feedback(
    request: Request,
    feedback_id: IdPath,
    principal: Annotated[Principal, Depends(feedback_reader)],
) -> FeedbackRead:
    return await service.get_feedback(
        request.app.state.database, feedback_id=feedback_id, actor=principal
    )
