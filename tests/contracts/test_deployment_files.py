"""docker-compose.yml cannot run here (no Docker engine); these tests keep it honest: every service's
environment there must configure that service's Settings, and the gateway must fill every placeholder
of the template the gateway end-to-end test renders."""

from __future__ import annotations

import re

import pytest
import yaml

from sme_embedded.platform import SERVICES
from tests.harness import GATEWAY_TEMPLATE, REPO, render_gateway_config

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
