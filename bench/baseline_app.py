"""The baseline for the lookup benchmark: a bare FastAPI app doing a primary-key SELECT with a
psycopg pool on the same database, nothing else (no auth, no scope, no middleware)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

pool = AsyncConnectionPool(
    os.environ["BASELINE_DATABASE_URL"],
    min_size=4,
    max_size=10,
    open=False,
    kwargs={"row_factory": dict_row},
)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await pool.open()
    yield
    await pool.close()


app = FastAPI(lifespan=lifespan)


@app.get("/baseline/enterprises/{uscc}")
async def lookup(uscc: str) -> dict[str, Any]:
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT uscc, name, region_code, reporting_unit_code, industry_code, founded_on, "
            "operating_status, version FROM enterprise WHERE uscc = %s",
            (uscc,),
        )
        row = await cursor.fetchone()
    if row is None:
        raise HTTPException(404)
    return row
