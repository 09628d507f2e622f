"""Read endpoints over the directory, region-scoped in the query."""

import base64
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, select

from sme_common.auth.dependencies import require
from sme_common.auth.principal import Principal, Role
from sme_common.db.engine import Database
from sme_common.directory.models import enterprise_directory
from sme_common.errors import InvalidInput, NotFound, problems
from sme_common.ids import make_uscc

USCC_PATH = Path(pattern=r"^[0-9A-HJ-NPQRTUWXY]{18}$", description="Unified social credit code")
MAX_LIMIT = 200
READ_ROLES = (
    Role.PROVINCE_OFFICER,
    Role.CITY_OFFICER,
    Role.COUNTY_OFFICER,
    Role.AGENCY_SYSTEM,
    Role.PLATFORM_ADMIN,
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


def _decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError:
        raise InvalidInput(
            "cursor_invalid", "cursor is not one we issued", "游标无效", field="cursor"
        ) from None


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
        table = enterprise_directory
        scope = principal.region_scope().clause(table.c.region_code, table.c.reporting_unit_code)
        async with database.sessionmaker() as session:
            row = (
                await session.execute(select(table).where(and_(table.c.uscc == uscc, scope)))
            ).first()
        if row is None:
            raise NotFound(
                "enterprise_not_found",
                f"No enterprise {uscc} is known to {service} in your region",
                f"{service} 在您的辖区内没有该企业：{uscc}",
                field="uscc",
            )
        return DirectoryEntry.model_validate(row)

    @router.get(
        "/enterprises",
        response_model=DirectoryPage,
        responses=problems(codes={422: ("cursor_invalid",)}),
    )
    async def list_enterprises(
        request: Request,
        principal: Annotated[Principal, Depends(reader)],
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
    ) -> DirectoryPage:
        database: Database = request.app.state.database
        table = enterprise_directory
        after = _decode_cursor(cursor)
        query = select(table).where(
            principal.region_scope().clause(table.c.region_code, table.c.reporting_unit_code)
        )
        if after is not None:
            query = query.where(table.c.uscc > after)
        async with database.sessionmaker() as session:
            rows = (await session.execute(query.order_by(table.c.uscc).limit(limit + 1))).all()
        items = [DirectoryEntry.model_validate(r) for r in rows[:limit]]
        next_cursor = (
            base64.urlsafe_b64encode(items[-1].uscc.encode()).decode()
            if len(rows) > limit
            else None
        )
        return DirectoryPage(items=items, next_cursor=next_cursor)

    return router
