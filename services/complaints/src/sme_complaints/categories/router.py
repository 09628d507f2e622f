from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from sme_common.auth import Principal
from sme_complaints.categories.domain import catalogue
from sme_complaints.categories.schemas import CategoryCatalogue
from sme_complaints.dependencies import any_caller

router = APIRouter(tags=["categories"])


@router.get("/categories", response_model=CategoryCatalogue)
async def list_categories(
    _principal: Annotated[Principal, Depends(any_caller)],
) -> CategoryCatalogue:
    """The complaint categories and the fields a complaint carries (Open311 ``services``), with
    the catalogue's version and the rules it cites."""
    return CategoryCatalogue.of(catalogue())
