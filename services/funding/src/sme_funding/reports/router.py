from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_funding.dependencies import reader
from sme_funding.reports import service
from sme_funding.reports.schemas import FundingReport, ReportFilters, ReportFormat

router = APIRouter(tags=["reports"])

CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}


@router.get(
    "/reports/funding",
    response_model=FundingReport,
    responses={200: {"content": CSV_CONTENT}, **problems()},
)
async def get_funding_report(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    filters: Annotated[ReportFilters, Query()],
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Entitlements and money by policy, fund, 市州 (``region``) or year in your region: how many,
    entitled, committed, paid, ordered back (追回) and recovered, with the total. JSON, or CSV
    with ``format=csv`` or ``Accept: text/csv``."""
    report = await service.funding_report(
        request.app.state.database, filters=filters, actor=principal
    )
    wants_csv = filters.format is ReportFormat.CSV or (
        filters.format is None and accept is not None and "text/csv" in accept
    )
    if not wants_csv:
        return report
    suffix = f"-{filters.year}" if filters.year else ""
    return Response(
        service.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": (
                f'attachment; filename="funding-report-{filters.group_by.value}{suffix}.csv"'
            )
        },
    )
