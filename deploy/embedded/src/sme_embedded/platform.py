"""Starting the whole platform in one process.

Settings (environment): ``SME_STATE_DIR`` (default ``var``), ``SME_HOST``/``SME_PORT`` (127.0.0.1:8000),
``SME_DATABASE_URL`` (a PostgreSQL server to use instead of the embedded one; each service gets its
own database on it, ``sme_<service>``), ``SME_KAFKA_BOOTSTRAP_SERVERS`` (a broker to use instead of
the embedded Tansu), ``SME_KAFKA_MAX_REQUEST_SIZE`` (largest event a relay may send),
``SME_EMBEDDED_PG_PORT``, ``SME_EMBEDDED_KAFKA_PORT`` and ``SME_PUBLIC_BASE_URL`` (the address
callers use, for the events' ``dataschema``; default ``http://<host>:<port>``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

import sme_certification.app as certification
import sme_complaints.app as complaints
import sme_finance_matching.app as finance_matching
import sme_funding.app as funding
import sme_registry.app as registry
from sme_common.audit.migrations import APP_ROLE
from sme_common.auth.cli import CLIENTS_FILE
from sme_common.auth.issuer import create_issuer_app
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key
from sme_common.devstack import EmbeddedKafka, EmbeddedPostgres, Supervisor
from sme_common.runtime import ServiceDefinition, migrate, prepare_broker
from sme_common.settings import AuthSettings, KafkaSettings, ServiceSettings
from sme_embedded.dispatcher import PrefixDispatcher, not_found_root


@dataclass(frozen=True)
class ServiceModule:
    definition: ServiceDefinition
    create_app: Callable[..., FastAPI]
    settings_class: type[ServiceSettings]


SERVICES = [
    ServiceModule(m.DEFINITION, m.create_app, m.Settings)
    for m in (registry, certification, funding, finance_matching, complaints)
]


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SME_", extra="ignore")

    state_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: str | None = None
    kafka_bootstrap_servers: str | None = None
    kafka_topic_prefix: str = ""
    # The largest event the relays may send (raise it, restart, then `outbox resend` parked rows).
    kafka_max_request_size: int = 1_048_576
    embedded_pg_port: int = 54329
    embedded_kafka_port: int = 19092
    # The address callers reach the platform by, written into every event's ``dataschema``
    # (CloudEvents asks for an absolute URI); behind a proxy, set SME_PUBLIC_BASE_URL.
    public_base_url: str | None = None

    @property
    def base_url(self) -> str:
        return self.public_base_url or f"http://{self.host}:{self.port}"

    @property
    def auth_dir(self) -> Path:
        return self.state_dir / "auth"


def database_url_for(server_url: str, service: str) -> str:
    name = "sme_" + service.replace("-", "_")
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def service_settings(
    module: ServiceModule,
    *,
    server_url: str,
    kafka: KafkaSettings,
    auth_dir: Path,
    public_base_url: str | None = None,
) -> ServiceSettings:
    return module.settings_class(
        public_base_url=public_base_url,
        database_url=SecretStr(database_url_for(server_url, module.definition.name)),
        # One login serves migrations and services here; the services still run as the
        # application role, which may only append to the audit (docs/audit.md).
        database_role=APP_ROLE,
        kafka=kafka,
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
    )


def prepare(settings: ServiceSettings, module: ServiceModule) -> None:
    migrate(module.definition, settings)
    if "load-reference" in module.definition.extra_commands:
        module.definition.extra_commands["load-reference"](settings)


async def prepare_broker_for_all(all_settings: dict[str, ServiceSettings]) -> None:
    """Every service's topics and relay epoch, before the platform says it is ready."""
    for module in SERVICES:
        await prepare_broker(module.definition, all_settings[module.definition.name])


def build_platform_app(
    all_settings: dict[str, ServiceSettings], auth_dir: Path
) -> PrefixDispatcher:
    apps: dict[str, FastAPI] = {
        module.definition.api_prefix: module.create_app(all_settings[module.definition.name])
        for module in SERVICES
    }
    apps["/api/auth"] = create_issuer_app(
        signing_key_file=auth_dir / SIGNING_KEY_FILE,
        clients_file=auth_dir / CLIENTS_FILE,
        issuer="sme-platform",
        audience="sme-platform",
    )
    return PrefixDispatcher(apps, not_found_root())


@contextlib.contextmanager
def infrastructure(
    settings: PlatformSettings, on_give_up: Callable[[str], None] | None = None
) -> Iterator[tuple[str, str]]:
    """Start embedded PostgreSQL and Tansu unless external ones were given; yield their addresses.

    With ``on_give_up``, the embedded ones are supervised while the run lasts: one that dies is
    restarted (same port, same data directory); one that keeps dying calls ``on_give_up``.
    """
    started: list[EmbeddedPostgres | EmbeddedKafka] = []
    supervisor: Supervisor | None = None
    try:
        server_url = settings.database_url
        if server_url is None:
            postgres = EmbeddedPostgres(
                data_dir=settings.state_dir / "postgres", port=settings.embedded_pg_port
            )
            postgres.start()
            started.append(postgres)
            server_url = postgres.url
        bootstrap = settings.kafka_bootstrap_servers
        if bootstrap is None:
            settings.state_dir.mkdir(parents=True, exist_ok=True)
            kafka = EmbeddedKafka(
                port=settings.embedded_kafka_port, log_file=settings.state_dir / "tansu.log"
            )
            kafka.start()
            started.append(kafka)
            bootstrap = kafka.bootstrap_servers
        if on_give_up is not None and started:
            supervisor = Supervisor(started, on_give_up)
            supervisor.start()
        yield server_url, bootstrap
    finally:
        if supervisor is not None:
            supervisor.stop()
        for component in reversed(started):
            component.stop()


def server_url_of(settings: PlatformSettings) -> str:
    """The PostgreSQL server of a run: the one given, or the embedded one on its port."""
    if settings.database_url is not None:
        return settings.database_url
    return EmbeddedPostgres(
        data_dir=settings.state_dir / "postgres", port=settings.embedded_pg_port
    ).url


def configure(
    settings: PlatformSettings, server_url: str, bootstrap: str
) -> dict[str, ServiceSettings]:
    ensure_signing_key(settings.auth_dir)
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap,
        topic_prefix=settings.kafka_topic_prefix,
        max_request_size=settings.kafka_max_request_size,
    )
    return {
        module.definition.name: service_settings(
            module,
            server_url=server_url,
            kafka=kafka,
            auth_dir=settings.auth_dir,
            public_base_url=settings.base_url,
        )
        for module in SERVICES
    }
