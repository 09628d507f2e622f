from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sme_certification.dependencies import reader
from sme_certification.statistics import service
from sme_certification.statistics.schemas import Funnel, TargetSetRead, TitleStatistics
from sme_common.auth import Principal
from sme_common.errors import NotFound, problems

router = APIRouter(tags=["statistics"])

ProvinceQuery = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="the province (GB/T 2260); yours by default",
        examples=["620000"],
    ),
]
PROVINCE_PROBLEMS: dict[int, tuple[str, ...]] = {
    403: ("region_forbidden",),
    422: ("province_unknown",),
}
CSV_CONTENT: dict[str, Any] = {"text/csv": {"schema": {"type": "string"}}}


@router.get(
    "/statistics/titles",
    response_model=TitleStatistics,
    responses=problems(403, codes=PROVINCE_PROBLEMS),
)
async def get_title_statistics(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    province_code: ProvinceQuery = None,
) -> TitleStatistics:
    """Titles by tier, level, 市州 and year of issue in your region, and the province's targets
    (Gansu 累计培育, Hubei 数量达到) with the count toward each and the number in force today."""
    return await service.title_statistics(
        request.app.state.database, province_code=province_code, actor=principal
    )


@router.get(
    "/statistics/titles/export",
    response_class=Response,
    responses={
        200: {
            "description": "The rows by tier, level, 市州 and year (CSV)",
            "content": CSV_CONTENT,
        },
        **problems(403, codes=PROVINCE_PROBLEMS),
    },
)
async def export_title_statistics(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    province_code: ProvinceQuery = None,
) -> Response:
    """The rows of ``GET /statistics/titles`` as CSV (UTF-8 with BOM)."""
    statistics = await service.title_statistics(
        request.app.state.database, province_code=province_code, actor=principal
    )
    filename = f"title-statistics-{statistics.province_code}-{statistics.as_of}.csv"
    return Response(
        service.title_rows_csv(statistics),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/statistics/targets",
    response_model=TargetSetRead,
    responses=problems(403, 404, codes={**PROVINCE_PROBLEMS, 404: ("targets_not_found",)}),
)
async def get_cultivation_targets(
    principal: Annotated[Principal, Depends(reader)], province_code: ProvinceQuery = None
) -> TargetSetRead:
    """The province's cultivation targets (培育目标) from the versioned data file, with sources."""
    target_set = await service.targets(province_code=province_code, actor=principal)
    if target_set is None:
        raise NotFound(
            "targets_not_found",
            "No cultivation targets are recorded for this province",
            "该省未登记培育目标",
            field="province_code",
        )
    return target_set


@router.get(
    "/statistics/funnel",
    response_model=Funnel,
    responses=problems(403, codes=PROVINCE_PROBLEMS),
)
async def get_cultivation_funnel(
    request: Request,
    principal: Annotated[Principal, Depends(reader)],
    province_code: ProvinceQuery = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="the batches' year")] = None,
) -> Funnel:
    """Applications of each batch by status (培育漏斗) in your region, and the titles granted."""
    return await service.funnel(
        request.app.state.database, province_code=province_code, year=year, actor=principal
    )
