from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from sme_certification.applications.schemas import ApplicationRead
from sme_certification.decisions import service
from sme_certification.decisions.schemas import FinalDecision
from sme_certification.dependencies import application_step_responses, province_officer
from sme_common.api import IdPath, expected_version, versioned_response
from sme_common.auth import Principal

router = APIRouter(tags=["decisions"])


@router.post(
    "/applications/{application_id}/final-decision",
    response_model=ApplicationRead,
    responses=application_step_responses(
        forbidden=("approver_is_author",),
        not_found=("enterprise_not_found", "certificate_not_found"),
        conflict=(
            "notice_running",
            "notice_required",
            "objection_open",
            "certificate_in_force",
            "reapplication_banned",
            # a re-review: the certificate it re-reviews is no longer under its re-review
            "certificate_status_conflict",
            "re_review_not_filed",
            "re_review_of_another_application",
            "re_review_certificate_unknown",
        ),
        invalid=("reasons_required",),
    ),
)
async def decide_final(
    request: Request,
    application_id: IdPath,
    body: FinalDecision,
    principal: Annotated[Principal, Depends(province_officer)],
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The province's decision: ``grant`` (认定: the certificate is made in the same transaction)
    after the public notice ended with no open objection — or straight after the experts' scoring
    for a classified (涉密) application — or ``reject`` with reasons by field. Needs the version."""
    command = body.model_copy(update={"version": expected_version(if_match, body.version)})
    application = await service.decide(
        request.app.state.database,
        application_id=application_id,
        command=command,
        actor=principal,
        number_prefix=request.app.state.settings.certificate_number_prefix,
    )
    return versioned_response(application, application.version)
