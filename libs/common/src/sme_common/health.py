"""``/healthz`` (the process is alive) and ``/readyz`` (its database and broker answer)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict

from sme_common.db.engine import Database
from sme_common.settings import KafkaSettings

READY_TIMEOUT_S = 3.0


async def check_database(database: Database) -> str | None:
    try:
        await asyncio.wait_for(database.ping(), READY_TIMEOUT_S)
    except Exception as exc:
        return repr(exc)
    return None


async def check_broker(kafka: KafkaSettings) -> str | None:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=int(READY_TIMEOUT_S * 1000)
    )
    try:
        await asyncio.wait_for(admin.start(), READY_TIMEOUT_S)
        await asyncio.wait_for(admin.list_topics(), READY_TIMEOUT_S)
    except Exception as exc:
        return repr(exc)
    finally:
        try:
            await admin.close()
        except Exception:  # noqa: S110 - closing a client that never connected
            pass
    return None


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "checks": {"database": "ok", "broker": "ok"}}]
        }
    )

    status: Literal["ready", "not_ready"]
    checks: dict[str, str]


def health_router(prefix: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["health"])

    @router.get("/healthz", response_model=Liveness)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        responses={
            200: {"model": Readiness, "description": "Database and broker answer"},
            503: {"model": Readiness, "description": "The database or the broker does not answer"},
        },
    )
    async def readyz(request: Request) -> JSONResponse:
        database: Database = request.app.state.database
        kafka: KafkaSettings = request.app.state.settings.kafka
        db_error, broker_error = await asyncio.gather(check_database(database), check_broker(kafka))
        checks: dict[str, Any] = {
            "database": "ok" if db_error is None else f"unreachable: {db_error}",
            "broker": "ok" if broker_error is None else f"unreachable: {broker_error}",
        }
        ready = db_error is None and broker_error is None
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get(
        "/metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}},
            }
        },
    )
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
