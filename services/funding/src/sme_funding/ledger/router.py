from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_funding.dependencies import ledger_reader
from sme_funding.ledger import service
from sme_funding.ledger.schemas import BalanceFilters, BalancesRead, EntryFilters, EntryPage

router = APIRouter(tags=["ledger"])


@router.get("/ledger/balances", response_model=BalancesRead)
async def get_ledger_balances(
    request: Request,
    filters: Annotated[BalanceFilters, Query()],
    principal: Annotated[Principal, Depends(ledger_reader)],
) -> BalancesRead:
    """The balance of every ledger account (per fund, region and account) in your region."""
    return await service.get_balances(request.app.state.database, filters=filters, actor=principal)


@router.get(
    "/ledger/entries",
    response_model=EntryPage,
    responses=problems(codes={422: ("cursor_invalid",)}),
)
async def list_ledger_entries(
    request: Request,
    filters: Annotated[EntryFilters, Query()],
    principal: Annotated[Principal, Depends(ledger_reader)],
) -> EntryPage:
    """Journal entries with their lines, in posting order."""
    return await service.list_entries(request.app.state.database, filters=filters, actor=principal)
