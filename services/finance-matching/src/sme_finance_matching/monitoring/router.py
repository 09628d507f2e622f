from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_finance_matching.dependencies import monitoring_reader
from sme_finance_matching.monitoring import service
from sme_finance_matching.monitoring.domain import ExportFormat
from sme_finance_matching.monitoring.schemas import (
    GuaranteeFeeFilters,
    GuaranteeFeeMonitor,
    LoanFilters,
    LoanStatistics,
)

router = APIRouter(tags=["monitoring"])

CSV_MEDIA = "text/csv; charset=utf-8"
_PROBLEMS = problems(codes={403: ("institution_client_unknown",), 422: ("period_invalid",)})


def _wants_csv(fmt: ExportFormat, accept: str | None) -> bool:
    return fmt is ExportFormat.CSV or (accept is not None and "text/csv" in accept.lower())


def _csv_response(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=CSV_MEDIA,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _ok(description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"description": description, "content": {CSV_MEDIA: {"schema": {"type": "string"}}}},
        **_PROBLEMS,
    }


@router.get(
    "/monitoring/guarantee-fees",
    response_model=GuaranteeFeeMonitor,
    responses=_ok("Per guarantee agency, with the target (JSON, or CSV with format=csv)"),
)
async def get_guarantee_fee_monitor(
    request: Request,
    filters: Annotated[GuaranteeFeeFilters, Query()],
    principal: Annotated[Principal, Depends(monitoring_reader)],
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Guarantee fee rates against the ≤ 1.5 % target for 专精特新 enterprises (seed 000 (十四)),
    per guarantee agency: guarantees and amounts, mean, amount-weighted and highest fee rate, the
    count, amount and share above the target, first-time borrowers; the basis of the awards to
    well-performing agencies (seed 004 九). Officers for their region; an institution its own."""
    monitor = await service.guarantee_fees(
        request.app.state.database, filters=filters, actor=principal
    )
    if _wants_csv(filters.format, accept):
        return _csv_response(service.fees_csv(monitor), "guarantee-fees.csv")
    return monitor


@router.get(
    "/monitoring/loans",
    response_model=LoanStatistics,
    responses=_ok("Grouped outcomes and totals (JSON, or CSV with format=csv)"),
)
async def get_loan_statistics(
    request: Request,
    filters: Annotated[LoanFilters, Query()],
    principal: Annotated[Principal, Depends(monitoring_reader)],
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Lenders' reported outcomes (contacted, refused, granted with amounts, first-time borrowers
    首贷户, mean rate, guaranteed loans) by institution, tier, 市州 or month, in a period.
    Officers for their region; an institution its own figures."""
    statistics = await service.loans(request.app.state.database, filters=filters, actor=principal)
    if _wants_csv(filters.format, accept):
        return _csv_response(service.loans_csv(statistics), f"loans-by-{filters.group_by}.csv")
    return statistics
