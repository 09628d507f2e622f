"""The proof flow: an enterprise registered in registry, then renamed and moved to another city,
reaches every other service's read model through the outbox, the broker and idempotent consumers,
in both topologies."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from tests.conftest import uscc_for
from tests.harness import (
    CONSUMING_SERVICES,
    Platform,
    embedded_platform,
    eventually,
    gateway_platform,
)

pytestmark = pytest.mark.slow


async def run_proof_flow(platform: Platform, bearer: TokenFactory) -> None:
    officer = bearer("province_officer", region="620000")
    serial = secrets.randbelow(900_000) + 1
    uscc = uscc_for(serial)
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client:
        bad = await client.post(
            "/api/registry/v1/enterprises",
            json={
                "uscc": uscc[:-1] + ("0" if uscc[-1] != "0" else "1"),
                "name": "坏码企业",
                "region_code": "620102",
            },
            headers=officer,
        )
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert bad.json()["code"] == "uscc_invalid"
        assert bad.json()["field"] == "uscc"

        created = await client.post(
            "/api/registry/v1/enterprises",
            json={
                "uscc": uscc,
                "name": "兰州精工机械有限公司",
                "region_code": "620102",
                "industry_code": "C3411",
                "founded_on": "2015-06-01",
            },
            headers={**officer, "Idempotency-Key": f"proof-{serial}"},
        )
        assert created.status_code == 201, created.text
        assert created.json()["reporting_unit_code"] == "620100"

        for service in CONSUMING_SERVICES:
            url = f"/api/{service}/v1/enterprises/{uscc}"

            async def seen(url: str = url) -> bool:
                response = await client.get(url, headers=officer)
                return (
                    response.status_code == 200
                    and response.json()["name"] == "兰州精工机械有限公司"
                )

            await eventually(seen, timeout_s=60)

        for service in ["registry", *CONSUMING_SERVICES]:
            metrics = await client.get(f"/api/{service}/metrics")
            assert metrics.status_code == 200
            assert any(
                line.startswith("sme_http_requests_total{") and f'service="{service}"' in line
                for line in metrics.text.splitlines()
            ), service
            assert (await client.get(f"/api/{service}/healthz")).json() == {"status": "ok"}
            assert (await client.get(f"/api/{service}/readyz")).status_code == 200
            assert (await client.get(f"/api/{service}/openapi.json")).status_code == 200

        # Another region's officer does not see it anywhere.
        tianshui = bearer("city_officer", region="620500")
        for service in ["registry", *CONSUMING_SERVICES]:
            response = await client.get(f"/api/{service}/v1/enterprises/{uscc}", headers=tianshui)
            assert response.status_code == 404, (service, response.text)

        # A rename and a move to 天水 reach every directory, and the scope follows the move.
        moved = await client.patch(
            f"/api/registry/v1/enterprises/{uscc}",
            json={"version": 1, "name": "天水精工机械有限公司", "region_code": "620502"},
            headers=officer,
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["reporting_unit_code"] == "620500"
        for service in CONSUMING_SERVICES:
            url = f"/api/{service}/v1/enterprises/{uscc}"

            async def moved_there(url: str = url) -> bool:
                response = await client.get(url, headers=tianshui)
                return response.status_code == 200 and (
                    response.json()["name"],
                    response.json()["region_code"],
                    response.json()["reporting_unit_code"],
                    response.json()["registry_version"],
                ) == ("天水精工机械有限公司", "620502", "620500", 2)

            await eventually(moved_there, timeout_s=60)
        lanzhou = bearer("city_officer", region="620100")
        for service in ["registry", *CONSUMING_SERVICES]:
            response = await client.get(f"/api/{service}/v1/enterprises/{uscc}", headers=lanzhou)
            assert response.status_code == 404, (service, response.text)

    # Each event was committed with the change and applied exactly once per consumer.
    for service in CONSUMING_SERVICES:
        rows = platform.query(
            service,
            "SELECT event_type, registry_version FROM enterprise_directory_change"
            " WHERE uscc = %s ORDER BY id",
            uscc,
        )
        assert rows == [
            ("registry.enterprise.registered.v1", 1),
            ("registry.enterprise.updated.v1", 2),
        ], service


async def test_proof_flow_embedded(
    database_factory: DatabaseFactory, kafka_bootstrap: str, auth_dir: Path, bearer: TokenFactory
) -> None:
    async with embedded_platform(
        database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir
    ) as platform:
        await run_proof_flow(platform, bearer)


async def test_proof_flow_through_gateway(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
    workdir: Path,
    require_nginx: None,
) -> None:
    with gateway_platform(
        database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir, workdir
    ) as platform:
        await run_proof_flow(platform, bearer)
        async with httpx.AsyncClient(base_url=platform.base_url) as client:
            response = await client.get("/api/registry/openapi.json")
            assert response.status_code == 200
            assert response.headers.get("x-request-id")
            missing = await client.get("/api/nowhere")
            assert missing.status_code == 404
            assert missing.json()["code"] == "not_found"
