"""Evidence documents on an S3-compatible object store (production's choice; the embedded run
keeps them on the local disk): the API writes the content to the bucket under the service's
prefix and reads it back; a key with nothing behind it is a missing document, not a crash. The
store here is moto's S3 server over HTTP on loopback, reached by boto3 as MinIO or OSS would be."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from services.certification.tests.support import URL, known_enterprise, make_application, make_batch
from sme_certification.app import create_app
from sme_certification.config import Settings
from sme_common.clock import FixedClock
from sme_common.db import Database
from sme_common.devstack import free_port, wait_for_port
from sme_common.settings import AuthSettings, KafkaSettings
from sme_common.storage import DocumentNotStored, S3Storage, StorageSettings
from sme_common.testing.plugin import TokenFactory, isolated_database

BUCKET = "sme-evidence"
PDF = b"%PDF-1.7\n% evidence on s3\n" + bytes(range(256))


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=log,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture(scope="module")
def s3_settings(s3_endpoint: str) -> StorageSettings:
    settings = StorageSettings(
        kind="s3",
        s3_endpoint_url=s3_endpoint,
        s3_bucket=BUCKET,
        s3_prefix="certification/",
        s3_access_key_id=SecretStr("test"),
        s3_secret_access_key=SecretStr("test"),
    )
    raw_client(settings).create_bucket(Bucket=BUCKET)
    return settings


def raw_client(settings: StorageSettings) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


async def test_put_get_and_a_missing_key(s3_settings: StorageSettings) -> None:
    storage = S3Storage(s3_settings)
    await storage.put("app_1/doc_1", b"content")
    assert await storage.get("app_1/doc_1") == b"content"
    stored = raw_client(s3_settings).get_object(Bucket=BUCKET, Key="certification/app_1/doc_1")
    assert stored["Body"].read() == b"content"
    with pytest.raises(DocumentNotStored):
        await storage.get("app_1/nothing_here")
    with pytest.raises(ValueError):
        await storage.put("../outside", b"x")


def test_a_bucket_is_required() -> None:
    with pytest.raises(ValueError):
        S3Storage(StorageSettings(kind="s3"))


@pytest_asyncio.fixture
async def client_on_s3(
    certification_database_url: str,
    auth_dir: Path,
    business_clock: FixedClock,
    tmp_path: Path,
    s3_settings: StorageSettings,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=certification_database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        evidence_dir=tmp_path / "not-used",
        storage=s3_settings,
    )
    async for database in isolated_database(certification_database_url):
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://certification") as c:
            c.app = app  # type: ignore[attr-defined]
            yield c


async def test_evidence_uploaded_through_the_api_is_kept_in_the_bucket(
    client_on_s3: httpx.AsyncClient,
    bearer: TokenFactory,
    s3_settings: StorageSettings,
    tmp_path: Path,
) -> None:
    database: Database = client_on_s3.app.state.database  # type: ignore[attr-defined]
    province = bearer("province_officer", region="620000")
    uscc = await known_enterprise(database, "DC000001")
    enterprise = bearer("enterprise", uscc=uscc)
    batch = await make_batch(client_on_s3, province)
    application = await make_application(client_on_s3, enterprise, batch["id"], uscc)
    path = f"{URL}/applications/{application['id']}/documents"
    added = await client_on_s3.post(
        path,
        headers={**enterprise, "Content-Type": "application/pdf"},
        params={"field": "awards", "filename": "证书.pdf"},
        content=PDF,
    )
    assert added.status_code == 201, added.text
    assert added.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    listing = raw_client(s3_settings).list_objects_v2(Bucket=BUCKET, Prefix="certification/")
    keys = [item["Key"] for item in listing.get("Contents", [])]
    assert any(application["id"] in key for key in keys), keys
    assert not (tmp_path / "not-used").exists()  # nothing went to the local disk
    read = await client_on_s3.get(f"{path}/{added.json()['id']}", headers=enterprise)
    assert read.status_code == 200 and read.content == PDF
