from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sme_common.auth import Principal
from sme_common.errors import problems
from sme_registry.dependencies import UsccPath, own_record_reader, writer
from sme_registry.pools import service
from sme_registry.pools.schemas import PoolMove, PoolPath

router = APIRouter(tags=["cultivation pools"])


@router.post(
    "/enterprises/{uscc}/pool-moves",
    response_model=PoolPath,
    responses=problems(
        404,
        409,
        codes={
            404: ("enterprise_not_found",),
            409: ("already_in_pool", "not_in_pool"),
            422: ("on_in_future",),
            403: ("region_forbidden",),
        },
    ),
)
async def move_in_pools(
    request: Request,
    uscc: UsccPath,
    body: PoolMove,
    principal: Annotated[Principal, Depends(writer)],
) -> PoolPath:
    """An officer moves an enterprise into or out of a pool; the path is kept."""
    return await service.move(request.app.state.database, uscc=uscc, command=body, actor=principal)


@router.get(
    "/enterprises/{uscc}/pools",
    response_model=PoolPath,
    responses=problems(404, codes={404: ("enterprise_not_found",)}),
)
async def get_pool_path(
    request: Request, uscc: UsccPath, principal: Annotated[Principal, Depends(own_record_reader)]
) -> PoolPath:
    return await service.pool_path(request.app.state.database, uscc=uscc, actor=principal)
