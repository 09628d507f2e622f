"""Helpers of the bulk import and export tests: files, a registry with its import workers, polling."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from sme_common.db import Database
from sme_common.settings import AuthSettings, KafkaSettings
from sme_registry.app import create_app
from sme_registry.bulk.worker import import_workers
from sme_registry.config import Settings

URL = "/api/registry/v1"
HEADER = [
    "uscc",
    "name",
    "region_code",
    "industry_code",
    "founded_on",
    "year",
    "employees",
    "operating_revenue_yuan",
    "total_assets_yuan",
    "rd_staff",
]
FINISHED = ("completed", "completed_with_errors", "failed")


def bulk_settings(url: str, auth_dir: Path, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "kafka": KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        "auth": AuthSettings(jwks_file=auth_dir / "jwks.json"),
        "run_workers": False,
        "import_dir": tmp_path / "imports",
        "export_dir": tmp_path / "exports",
        "import_poll_interval_s": 0.2,
    }
    return Settings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def registry(
    settings: Settings, *, import_workers_running: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry app on its own engine, with its import workers (not the relay) running."""
    database = Database.from_url(settings.database_url.get_secret_value())
    app = create_app(settings, database=database)
    stop = asyncio.Event()
    workers = (
        asyncio.create_task(import_workers(settings, database, stop))
        if import_workers_running
        else None
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://registry"
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
    finally:
        stop.set()
        if workers is not None:
            await workers
        await database.dispose()


def to_csv(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


async def start_import(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, name: str
) -> str:
    started = await client.post(f"{URL}/imports", headers=headers, files={"file": (name, content)})
    assert started.status_code == 202, started.text
    return str(started.headers["location"])


async def wait_for_job(
    client: httpx.AsyncClient, headers: dict[str, str], location: str
) -> dict[str, Any]:
    job: dict[str, Any] = {}
    for _ in range(600):
        job = (await client.get(location, headers=headers)).json()
        if job["status"] in FINISHED:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"import did not finish: {job}")


async def run_import(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    content: bytes,
    name: str = "enterprises.csv",
) -> dict[str, Any]:
    return await wait_for_job(client, headers, await start_import(client, headers, content, name))


async def error_rows(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str
) -> list[dict[str, str]]:
    report = (await client.get(f"{URL}/imports/{job_id}/errors", headers=headers)).text
    return list(csv.DictReader(io.StringIO(report.lstrip("\ufeff"))))


async def scalar(client: httpx.AsyncClient, sql: str) -> Any:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        return await session.scalar(text(sql))
