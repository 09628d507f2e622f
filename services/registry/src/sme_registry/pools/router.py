from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sme_common.auth import Principal
from sme_registry.enterprises.router import UsccPath, reader, writer
from sme_registry.pools import service
from sme_registry.pools.schemas import PoolMove, PoolPath

router = APIRouter(tags=["cultivation pools"])


@router.post("/enterprises/{uscc}/pool-moves", response_model=PoolPath)
async def move(
    request: Request,
    uscc: UsccPath,
    body: PoolMove,
    principal: Annotated[Principal, Depends(writer)],
) -> PoolPath:
    """An officer moves an enterprise into or out of a pool; the path is kept."""
    return await service.move(request.app.state.database, uscc=uscc, command=body, actor=principal)


@router.get("/enterprises/{uscc}/pools", response_model=PoolPath)
async def pools(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(reader)]
) -> PoolPath:
    return await service.pool_path(request.app.state.database, uscc=uscc, actor=principal)
