from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_registry.dependencies import UsccPath, own_record_reader
from sme_registry.sizing import service
from sme_registry.sizing.schemas import SizeClassRead

router = APIRouter(tags=["size class"])


@router.get(
    "/enterprises/{uscc}/size-class",
    response_model=SizeClassRead,
    responses=problems(
        404,
        codes={404: ("enterprise_not_found", "size_class_unknown"), 422: ("on_in_future",)},
    ),
)
async def get_size_class(
    request: Request,
    uscc: UsccPath,
    principal: Annotated[Principal, Depends(own_record_reader)],
    on: Annotated[
        date | None,
        Query(
            description="the class in force at the end of this day "
            "(the payment regulation fixes size at the contract date)"
        ),
    ] = None,
) -> SizeClassRead:
    """The SME size class with the industry row, thresholds and figures that decided it."""
    return await service.size_class_on(
        request.app.state.database, uscc=uscc, on=on, actor=principal
    )
