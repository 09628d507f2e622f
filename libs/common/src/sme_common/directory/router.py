"""Read endpoints over the directory, region-scoped in the query."""

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from sme_common.auth.dependencies import require
from sme_common.auth.principal import Principal, Role
from sme_common.db.engine import Database
from sme_common.directory import repository
from sme_common.errors import problems
from sme_common.ids import USCC_PATTERN, USCC_SHAPE, make_uscc
from sme_common.pagination import CursorParameter, KeyCursor, split_page
from sme_common.problems import enterprise_in_scope

USCC_PATH = Path(pattern=USCC_PATTERN, description="Unified social credit code")
CURSOR = KeyCursor(USCC_SHAPE)
MAX_LIMIT = 200
READ_ROLES = (
    Role.PROVINCE_OFFICER,
    Role.CITY_OFFICER,
    Role.COUNTY_OFFICER,
    Role.AGENCY_SYSTEM,
    Role.PLATFORM_ADMIN,
    Role.ENTERPRISE,  # its own entry only: the scope's clause is its USCC
)

# For the OpenAPI document: a valid code (GB 32100-2015 check digits).
EXAMPLE_ENTRY: dict[str, Any] = {
    "uscc": make_uscc(region="620102", body="MA000001"),
    "name": "兰州示例精密科技有限公司",
    "region_code": "620102",
    "reporting_unit_code": "620100",
    "industry_code": "C3911",
    "founded_on": "2015-06-01",
    "operating_status": "operating",
    "registry_version": 4,
    "registered_at": "2026-03-02T09:30:00+08:00",
    "received_at": "2026-03-02T09:30:01+08:00",
}


class DirectoryEntry(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [EXAMPLE_ENTRY]},
    )

    uscc: str
    name: str
    region_code: str
    reporting_unit_code: str
    industry_code: str | None
    founded_on: date | None
    operating_status: str
    registry_version: int
    registered_at: datetime
    received_at: datetime


class DirectoryPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [EXAMPLE_ENTRY], "next_cursor": None}]}
    )

    items: list[DirectoryEntry]
    next_cursor: str | None


class DirectoryQuery(BaseModel):
    """Query parameters of ``GET /enterprises`` (unknown ones are refused by
    ``sme_common.api.reject_unknown_query_parameters``, not by the model: other parameters of a
    route reach the model too)."""

    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: CursorParameter = None


def directory_router(service: str) -> APIRouter:
    """``GET /enterprises`` and ``GET /enterprises/{uscc}`` for one service's directory."""
    router = APIRouter(tags=["enterprise directory"])
    reader = require(roles=READ_ROLES, scope=f"{service}:read")

    @router.get(
        "/enterprises/{uscc}",
        response_model=DirectoryEntry,
        responses=problems(404, codes={404: ("enterprise_not_found",)}),
    )
    async def get_enterprise(
        request: Request,
        uscc: Annotated[str, USCC_PATH],
        principal: Annotated[Principal, Depends(reader)],
    ) -> DirectoryEntry:
        database: Database = request.app.state.database
        async with database.sessionmaker() as session:
            row = await enterprise_in_scope(repository.get, session, uscc, principal)
        return DirectoryEntry.model_validate(row)

    @router.get(
        "/enterprises",
        response_model=DirectoryPage,
        responses=problems(codes={422: ("cursor_invalid",)}),
    )
    async def list_enterprises(
        request: Request,
        principal: Annotated[Principal, Depends(reader)],
        query: Annotated[DirectoryQuery, Query()],
    ) -> DirectoryPage:
        database: Database = request.app.state.database
        after = CURSOR.after(query.cursor)
        async with database.sessionmaker() as session:
            rows = await repository.page(
                session, principal.region_scope(), after=after, limit=query.limit
            )
        page, last = split_page(rows, query.limit)
        items = [DirectoryEntry.model_validate(r) for r in page]
        next_cursor = CURSOR.encode(last.uscc) if last is not None else None
        return DirectoryPage(items=items, next_cursor=next_cursor)

    return router
