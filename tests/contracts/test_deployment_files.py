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
from sqlalchemy.engine import make_url

from sme_common.audit.migrations import APP_ROLE
from sme_common.devstack import free_port
from sme_common.events.consumer import owner_of
from sme_common.events.relay import epoch_topic
from sme_common.events.topics import dead_letter_topic
from sme_embedded.platform import SERVICES
from tests.harness import GATEWAY_TEMPLATE, REPO, render_gateway_config, wait_for_port

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
KAFKA_INIT = COMPOSE["services"]["kafka-init"]["environment"]
# Topics some consumer reads: their owner (first segment) must be allowed to write them.
CONSUMED = {topic for m in SERVICES for c in m.definition.consumers for topic in c.topics}


def compose_value(value: object) -> str:
    """What docker compose would pass, with a strong stand-in for every ``${VARIABLE…}``."""
    return re.sub(r"\$\{([A-Z_]+)[^}]*\}", lambda m: f"Str0ng-{m.group(1)}", str(value))


def acl_list(service: str, kind: str) -> set[str]:
    return set(KAFKA_INIT[f"{service.upper().replace('-', '_')}_{kind}"].split())


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_compose_environment_configures_each_service(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = module.definition  # type: ignore[attr-defined]
    service = COMPOSE["services"][definition.name]
    for name, value in service["environment"].items():
        monkeypatch.setenv(name, compose_value(value))
    settings = module.settings_class()  # type: ignore[attr-defined]
    assert settings.environment == "production"
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.kafka.enable_idempotence is True
    assert settings.database_url.get_secret_value().endswith(
        "/sme_" + definition.name.replace("-", "_")
    )
    assert str(settings.auth.jwks_file) == "/auth/jwks.json"
    assert f"python -m {definition.package} serve" in " ".join(service["command"])


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_each_service_authenticates_to_kafka_as_its_own_principal(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    definition = module.definition  # type: ignore[attr-defined]
    environment = COMPOSE["services"][definition.name]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, compose_value(value))
    kafka = module.settings_class().kafka  # type: ignore[attr-defined]
    assert kafka.security_protocol == "SASL_PLAINTEXT"
    assert kafka.sasl_mechanism == "SCRAM-SHA-512"
    assert kafka.sasl_username == definition.name
    assert definition.name in KAFKA_INIT["SERVICES"].split()
    # The broker user is created with the very password the service is given.
    prefix = definition.name.upper().replace("-", "_")
    password = environment[f"SME_{prefix}_KAFKA__SASL_PASSWORD"]
    assert re.sub(r":\?[^}]*", "", KAFKA_INIT[f"{prefix}_PASSWORD"]) == password


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_kafka_acls_let_each_service_write_only_its_own_topics_and_read_what_it_consumes(
    module: object,
) -> None:
    definition = module.definition  # type: ignore[attr-defined]
    name = definition.name
    dead_letters = {dead_letter_topic(c.name) for c in definition.consumers}
    writes = acl_list(name, "WRITES")
    # The relay's epoch topic (ADR 0009) is created by kafka-init, so the relay never re-publishes
    # on Apache Kafka; it holds no events.
    assert epoch_topic(name) in writes
    writes -= {epoch_topic(name)}
    assert {owner_of(topic) for topic in writes} <= {name}, "only its own topics"
    assert writes >= set(definition.produced_topics) | dead_letters
    assert writes >= {topic for topic in CONSUMED if owner_of(topic) == name}
    reads = acl_list(name, "READS")
    assert reads >= {t for c in definition.consumers for t in c.topics} | dead_letters
    groups = acl_list(name, "GROUPS")
    assert groups >= {c.name for c in definition.consumers}
    assert groups >= {f"{c.name}.dlt-replay" for c in definition.consumers}
    assert all(owner_of(group) == name for group in groups)


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


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_services_log_in_as_the_application_role_and_migrate_as_the_owner(
    module: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The services never run as the superuser: ``sme_app`` may only append to the audit;
    ``migrate`` uses the role that owns the database."""
    definition = module.definition  # type: ignore[attr-defined]
    for name, value in COMPOSE["services"][definition.name]["environment"].items():
        monkeypatch.setenv(name, compose_value(value))
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


def test_the_broker_authenticates_every_listener_and_enforces_acls() -> None:
    broker = COMPOSE["services"]["kafka"]["environment"]
    protocols = dict(
        entry.split(":") for entry in broker["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}, "no listener without authentication"
    assert broker["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert broker["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert broker["KAFKA_SUPER_USERS"] == "User:admin"
    assert broker["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
