"""docker-compose.yml cannot run here (no Docker engine); these tests keep it honest: every service's
environment there must configure that service's Settings, and the gateway must fill every placeholder
of the template the gateway end-to-end test renders."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import yaml

from sme_common.devstack import free_port
from sme_embedded.platform import SERVICES
from tests.harness import GATEWAY_TEMPLATE, REPO, render_gateway_config, wait_for_port

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_compose_environment_configures_each_service(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = module.definition  # type: ignore[attr-defined]
    service = COMPOSE["services"][definition.name]
    for name, value in service["environment"].items():
        monkeypatch.setenv(name, str(value).replace("${POSTGRES_PASSWORD}", "Str0ng-Secret"))
    settings = module.settings_class()  # type: ignore[attr-defined]
    assert settings.environment == "production"
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.kafka.enable_idempotence is True
    assert settings.database_url.get_secret_value().endswith(
        "/sme_" + definition.name.replace("-", "_")
    )
    assert str(settings.auth.jwks_file) == "/auth/jwks.json"
    assert f"python -m {definition.package} serve" in " ".join(service["command"])


def test_gateway_environment_fills_every_template_placeholder() -> None:
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", GATEWAY_TEMPLATE.read_text()))
    gateway = COMPOSE["services"]["gateway"]
    assert placeholders <= set(gateway["environment"])
    substituted = set(re.findall(r"\$\$\{([A-Z_]+)\}", " ".join(gateway["command"])))
    assert placeholders == substituted


def test_gateway_routes_every_service() -> None:
    upstreams = {m.definition.name: f"{m.definition.name}:8000" for m in SERVICES}
    rendered = render_gateway_config(upstreams, "8000", REPO / "var")
    for module in SERVICES:
        assert f"location {module.definition.api_prefix}/" in rendered


@pytest.mark.slow
def test_gateway_refuses_large_bodies_except_on_the_import_upload(tmp_path: Path) -> None:
    """nginx answers 413 problem+json for a JSON call over 1 MiB; the import upload may carry
    more and reaches the registry (here no registry listens: 502)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    nowhere = f"127.0.0.1:{free_port()}"
    port = free_port()
    config = tmp_path / "nginx.conf"
    upstreams = {m.definition.name: nowhere for m in SERVICES}
    config.write_text(render_gateway_config(upstreams, f"127.0.0.1:{port}", tmp_path))
    gateway = subprocess.Popen(
        [nginx, "-c", str(config), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"]
    )
    try:
        wait_for_port("127.0.0.1", port)
        base = f"http://127.0.0.1:{port}"
        two_mib = b"x" * (2 << 20)
        refused = httpx.post(f"{base}/api/registry/v1/enterprises", content=two_mib)
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["code"] == "payload_too_large"
        for service in ("certification", "funding", "finance-matching", "complaints"):
            assert httpx.post(f"{base}/api/{service}/v1/x", content=two_mib).status_code == 413
        upload = httpx.post(f"{base}/api/registry/v1/imports", content=two_mib)
        assert upload.status_code == 502
        small = httpx.post(f"{base}/api/registry/v1/enterprises", content=b"{}")
        assert small.status_code == 502
    finally:
        gateway.terminate()
        gateway.wait(15)
