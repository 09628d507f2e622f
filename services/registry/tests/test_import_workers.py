"""Imports run in the service's workers, within resource limits: uploads streamed to the import
directory under a size limit, zip bombs refused, a concurrency cap, and jobs that survive restarts."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import psycopg
import pytest

from services.registry.tests.bulk_support import (
    HEADER,
    URL,
    bulk_settings,
    registry,
    run_import,
    scalar,
    start_import,
    to_csv,
    wait_for_job,
)
from sme_common.db import Database
from sme_common.db.engine import to_sync_url
from sme_common.ids import make_uscc
from sme_common.runtime import Workers
from sme_common.testing.plugin import DatabaseFactory, kafka_settings_for_tests
from sme_registry.app import DEFINITION
from sme_registry.bulk.repository import job_lock_key
from sme_registry.bulk.worker import claim
from sme_registry.reference.service import load_reference_data

ROWS: list[list[object]] = [
    [make_uscc(region="620102", body=f"WK00000{n}"), f"兰州{n}号公司", "620102"]
    for n in range(1, 5)
]
ROW_HEADER = ["uscc", "name", "region_code"]


@pytest.fixture
def registry_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("imports", "sme_registry")
    load_reference_data(url)
    return url


async def test_a_job_queued_while_no_worker_runs_is_picked_up_when_the_workers_start(
    registry_url: str,
    auth_dir: Path,
    tmp_path: Path,
    kafka_bootstrap: str,
    officer: dict[str, str],
) -> None:
    settings = bulk_settings(
        registry_url, auth_dir, tmp_path, kafka=kafka_settings_for_tests(kafka_bootstrap)
    )
    async with registry(settings, import_workers_running=False) as client:
        location = await start_import(client, officer, to_csv(ROWS, ROW_HEADER), "a.csv")
        job = (await client.get(location, headers=officer)).json()
        assert job["status"] == "queued"
        # The upload waits under the import directory, not in the machine's temp folder.
        assert [p.name for p in settings.import_dir.iterdir()] == [f"{job['id']}.csv"]

        database = Database.from_url(registry_url)
        workers = Workers(DEFINITION, settings, database)
        await workers.start()
        try:
            job = await wait_for_job(client, officer, location)
        finally:
            await workers.stop()
            await database.dispose()
        assert (job["status"], job["created_rows"]) == ("completed", 4)
        assert list(settings.import_dir.iterdir()) == []


async def insert_running_job(url: str, job_id: str, *, processed_rows: int) -> None:
    async with await psycopg.AsyncConnection.connect(to_sync_url(url)) as connection:
        await connection.execute(
            "INSERT INTO import_job (id, status, file_name, file_format, file_sha256, total_rows, "
            "processed_rows, created_at, created_by, region_scope) VALUES "
            "(%s, 'running', 'a.csv', 'csv', '-', 4, %s, now(), 'importer-1', 'province:620000')",
            (job_id, processed_rows),
        )
        await connection.commit()


async def test_a_job_left_running_by_a_dead_worker_resumes_after_its_last_committed_chunk(
    registry_url: str, auth_dir: Path, tmp_path: Path, officer: dict[str, str]
) -> None:
    settings = bulk_settings(registry_url, auth_dir, tmp_path, import_chunk_rows=2)
    settings.import_dir.mkdir(parents=True)
    (settings.import_dir / "import_dead.csv").write_bytes(to_csv(ROWS, ROW_HEADER))
    # The dead worker had committed the first chunk (two rows) and its progress.
    await insert_running_job(registry_url, "import_dead", processed_rows=2)
    async with registry(settings) as client:
        job = await wait_for_job(client, officer, f"{URL}/imports/import_dead")
        assert (job["status"], job["processed_rows"], job["created_rows"]) == ("completed", 4, 2)
        created = await scalar(client, "SELECT string_agg(name, ',' ORDER BY name) FROM enterprise")
        assert created == "兰州3号公司,兰州4号公司"


async def test_a_job_left_running_without_its_file_fails_cleanly(
    registry_url: str, auth_dir: Path, tmp_path: Path, officer: dict[str, str]
) -> None:
    await insert_running_job(registry_url, "import_lost", processed_rows=0)
    async with registry(bulk_settings(registry_url, auth_dir, tmp_path)) as client:
        job = await wait_for_job(client, officer, f"{URL}/imports/import_lost")
    assert (job["status"], job["failure_code"]) == ("failed", "file_missing")
    assert "upload it again" in job["failure"]


async def test_a_job_whose_worker_is_alive_is_not_claimed_by_another(registry_url: str) -> None:
    await insert_running_job(registry_url, "import_busy", processed_rows=0)
    database = Database.from_url(registry_url)
    url = to_sync_url(registry_url)
    try:
        async with (
            await psycopg.AsyncConnection.connect(url, autocommit=True) as live_worker,
            await psycopg.AsyncConnection.connect(url, autocommit=True) as other_worker,
        ):
            await live_worker.execute("SELECT pg_advisory_lock(%s)", (job_lock_key("import_busy"),))
            assert await claim(database, other_worker) is None
            await live_worker.execute("SELECT pg_advisory_unlock_all()")
            claimed = await claim(database, other_worker)
            assert claimed is not None and (claimed.id, claimed.resumed) == ("import_busy", True)
    finally:
        await database.dispose()


async def test_an_upload_over_the_limit_is_refused_with_413_and_nothing_is_kept(
    registry_url: str, auth_dir: Path, tmp_path: Path, officer: dict[str, str]
) -> None:
    settings = bulk_settings(registry_url, auth_dir, tmp_path, import_max_upload_bytes=1000)
    content = to_csv([[*row, "x" * 300] for row in ROWS], [*ROW_HEADER, "leading_product"])
    async with registry(settings, import_workers_running=False) as client:
        declared = await client.post(
            f"{URL}/imports", headers=officer, files={"file": ("a.csv", content)}
        )
        assert declared.status_code == 413 and declared.json()["code"] == "payload_too_large"

        # Without a Content-Length the limit holds while the body streams in.
        body = httpx.Request("POST", "http://registry", files={"file": ("a.csv", content)})
        multipart = body.read()

        async def chunked() -> AsyncIterator[bytes]:
            for start in range(0, len(multipart), 256):
                yield multipart[start : start + 256]

        streamed = await client.post(
            f"{URL}/imports",
            headers={**officer, "content-type": body.headers["content-type"]},
            content=chunked(),
        )
        assert streamed.status_code == 413 and streamed.json()["code"] == "payload_too_large"
        assert await scalar(client, "SELECT count(*) FROM import_job") == 0
    assert not settings.import_dir.exists() or list(settings.import_dir.iterdir()) == []


def zip_bomb() -> bytes:
    """A small file whose sheet declares 5 MB uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + " " * 5_000_000 + "/>")
    return buffer.getvalue()


async def test_an_xlsx_that_unpacks_beyond_the_cap_fails_as_file_too_large(
    registry_url: str, auth_dir: Path, tmp_path: Path, officer: dict[str, str]
) -> None:
    bomb = zip_bomb()
    assert len(bomb) < 50_000
    settings = bulk_settings(
        registry_url, auth_dir, tmp_path, import_max_xlsx_uncompressed_bytes=1_000_000
    )
    async with registry(settings) as client:
        job = await run_import(client, officer, bomb, name="bomb.xlsx")
    assert (job["status"], job["failure_code"]) == ("failed", "file_too_large")
    assert list(settings.import_dir.iterdir()) == []


async def test_imports_need_multipart_with_a_file(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    raw = await bulk.post(f"{URL}/imports", headers=officer, content=to_csv([], HEADER))
    assert raw.status_code == 422 and raw.json()["code"] == "upload_invalid"
    no_file = await bulk.post(f"{URL}/imports", headers=officer, files={"other": ("a.csv", b"x")})
    assert no_file.status_code == 422 and no_file.json()["code"] == "file_required"
