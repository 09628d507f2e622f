"""Fault 1: the broker stops while registry keeps accepting enterprises; once it is back, every event
reaches every consumer's read model exactly once.

The broker here is Tansu on S3 storage (moto on loopback), so that, like Apache Kafka, it keeps its
log across a restart; with memory storage a restart would forget acknowledged records, which is a
property of the test broker, not something the platform could make up for.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sme_common.devstack import EmbeddedKafka, free_port, wait_for_port
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from tests.conftest import uscc_for
from tests.harness import CONSUMING_SERVICES, embedded_platform, eventually

pytestmark = pytest.mark.slow

S3_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "eu-west-2",
    "AWS_ALLOW_HTTP": "true",
}


@contextlib.contextmanager
def s3_endpoint(workdir: Path) -> Iterator[str]:
    port = free_port()
    log = open(workdir / "moto.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=log,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout_s=30)
        endpoint = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="eu-west-2",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).create_bucket(
            Bucket="tansu", CreateBucketConfiguration={"LocationConstraint": "eu-west-2"}
        )
        yield endpoint
    finally:
        process.terminate()
        process.wait(10)
        log.close()


async def test_events_survive_a_broker_outage(
    database_factory: DatabaseFactory, auth_dir: Path, bearer: TokenFactory, workdir: Path
) -> None:
    officer = bearer("province_officer", region="620000")
    with s3_endpoint(workdir) as endpoint:
        broker = EmbeddedKafka(
            port=free_port(),
            storage_url="s3://tansu/",
            env={**S3_ENV, "AWS_ENDPOINT": endpoint},
            log_file=workdir / "tansu.log",
        )
        broker.start()
        kafka = kafka_settings_for_tests(broker.bootstrap_servers)
        try:
            async with (
                embedded_platform(database_factory, kafka, auth_dir) as platform,
                httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client,
            ):

                async def register(serial: int) -> str:
                    uscc = uscc_for(serial, region="620402")
                    response = await client.post(
                        "/api/registry/v1/enterprises",
                        json={"uscc": uscc, "name": f"白银企业{serial}", "region_code": "620402"},
                        headers={**officer, "Idempotency-Key": f"outage-{serial}"},
                    )
                    assert response.status_code == 201, response.text
                    return uscc

                before = [await register(n) for n in range(1, 6)]

                def applied_everywhere(expected: int) -> bool:
                    return all(
                        platform.query(s, "SELECT count(*) FROM enterprise_directory_change")
                        == [(expected,)]
                        for s in CONSUMING_SERVICES
                    )

                await eventually(lambda: applied_everywhere(5), timeout_s=60)

                broker.stop()
                during = [await register(n) for n in range(6, 16)]
                unpublished = platform.query(
                    "registry", "SELECT count(*) FROM outbox_message WHERE published_at IS NULL"
                )
                assert unpublished[0][0] >= 1, "registry should have kept events in its outbox"
                ready = await client.get("/api/registry/readyz")
                assert ready.status_code == 503

                broker.start()
                await eventually(lambda: applied_everywhere(15), timeout_s=120)

                for service in CONSUMING_SERVICES:
                    rows = platform.query(
                        service,
                        "SELECT count(*), count(DISTINCT event_id), count(DISTINCT uscc) "
                        "FROM enterprise_directory_change",
                    )
                    assert rows == [(15, 15, 15)], service
                    known = platform.query(service, "SELECT uscc FROM enterprise_directory")
                    assert {r[0] for r in known} == set(before + during)
                assert platform.query(
                    "registry", "SELECT count(*) FROM outbox_message WHERE published_at IS NULL"
                ) == [(0,)]
        finally:
            broker.stop()
