"""docker-compose.yml cannot run here (no Docker engine); these tests keep it honest: every service's
environment there must configure that service's Settings, and the gateway must fill every placeholder
of the template the gateway end-to-end test renders."""

from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy.engine import make_url

from sme_common.audit.migrations import APP_ROLE
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
        monkeypatch.setenv(name, re.sub(r"\$\{[A-Z_]+\}", "Str0ng-Secret", str(value)))
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


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_services_log_in_as_the_application_role_and_migrate_as_the_owner(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The services never run as the superuser: ``sme_app`` may only append to the audit;
    ``migrate`` uses the role that owns the database."""
    definition = module.definition  # type: ignore[attr-defined]
    for name, value in COMPOSE["services"][definition.name]["environment"].items():
        monkeypatch.setenv(name, re.sub(r"\$\{[A-Z_]+\}", "Str0ng-Secret", str(value)))
    settings = module.settings_class()  # type: ignore[attr-defined]
    database = "sme_" + definition.name.replace("-", "_")
    app_url = make_url(settings.database_url.get_secret_value())
    migration_url = make_url(settings.migration_url())
    assert (app_url.username, app_url.database) == (APP_ROLE, database)
    assert (migration_url.username, migration_url.database) == ("sme_migrator", database)
    command = " ".join(COMPOSE["services"][definition.name]["command"])
    assert command.index(f"{definition.package} migrate") < command.index("serve")


def test_the_database_roles_and_every_service_database_are_created_at_first_start() -> None:
    postgres = COMPOSE["services"]["postgres"]
    script_mount = next(v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v)
    script = (REPO / script_mount.split(":")[0]).read_text()
    assert f"CREATE ROLE {APP_ROLE} LOGIN" in script
    assert "CREATE ROLE sme_migrator LOGIN" in script
    assert "SUPERUSER" not in script and "CREATEROLE" not in script
    for module in SERVICES:
        database = "sme_" + module.definition.name.replace("-", "_")
        assert f"CREATE DATABASE {database} OWNER sme_migrator;" in script
    assert {"SME_APP_DB_PASSWORD", "SME_MIGRATOR_DB_PASSWORD"} <= set(postgres["environment"])
