from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_complaints.dependencies import officer_reader
from sme_complaints.respondents import service
from sme_complaints.respondents.domain import KEY_PATTERN
from sme_complaints.respondents.schemas import (
    DisclosureFilters,
    DisclosureReport,
    ReportFormat,
    RespondentFilters,
    RespondentPage,
    RespondentRead,
)

router = APIRouter(tags=["respondents"])

CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}
KeyPath = Annotated[
    str,
    Path(
        pattern=KEY_PATTERN,
        description="the respondent's USCC, or n + 32 hex digits (name and region)",
    ),
]


@router.get("/respondents", response_model=RespondentPage, responses=problems())
async def list_respondents(
    request: Request,
    filters: Annotated[RespondentFilters, Query()],
    principal: Annotated[Principal, Depends(officer_reader)],
) -> RespondentPage:
    """Respondents (被投诉人) with cases in your region: their cases, the amounts owed, paid and
    under a repayment agreement, and whether they are complained about repeatedly
    (``repeat_only``: two cases or more, or the same complainant twice). Complainants are
    counted, never named; no contact data."""
    return await service.list_respondents(
        request.app.state.database, filters=filters, actor=principal
    )


@router.get(
    "/respondents/{key}",
    response_model=RespondentRead,
    responses=problems(404, codes={404: ("respondent_not_found",)}),
)
async def get_respondent(
    request: Request, key: KeyPath, principal: Annotated[Principal, Depends(officer_reader)]
) -> RespondentRead:
    """One respondent's record in your region, with its cases (complainants numbered 1, 2 …
    in the order they first complained, not named)."""
    return await service.get_respondent(request.app.state.database, key=key, actor=principal)


@router.get(
    "/reports/overdue-disclosure",
    response_model=DisclosureReport,
    responses={200: {"content": CSV_CONTENT}, **problems()},
)
async def get_overdue_disclosure(
    request: Request,
    filters: Annotated[DisclosureFilters, Query()],
    principal: Annotated[Principal, Depends(officer_reader)],
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """The yearly figures government bodies, public institutions and large enterprises must
    publish (逾期尚未支付中小企业款项的合同数量、金额, 国务院令第802号 第十八条; 甘肃 seed 002 (八)),
    per respondent in your region as the complaints show them, with the day each kind of body
    must publish by (public bodies by 31 March of the next year). JSON, or CSV with
    ``format=csv`` or ``Accept: text/csv``."""
    report = await service.overdue_disclosure(
        request.app.state.database, filters=filters, actor=principal
    )
    wants_csv = filters.format is ReportFormat.CSV or (
        filters.format is None and accept is not None and "text/csv" in accept
    )
    if not wants_csv:
        return report
    kind = f"-{filters.respondent_type.value}" if filters.respondent_type else ""
    return Response(
        service.disclosure_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="overdue-disclosure-{filters.year}{kind}.csv"'
            )
        },
    )
