"""Settings shared by every service (pydantic-settings, one class per service, one env prefix each).

A service declares ``class Settings(ServiceSettings)`` with ``model_config = service_config("REGISTRY")``
so that ``SME_REGISTRY_DATABASE_URL`` configures it. Settings are built once, in ``create_app`` or the
CLI, and passed down: nothing reads the environment at import time.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

# Values that mean "nobody set this": refused as secrets outside development and tests.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "changethis", "secret", "password", "dev", "dev-secret", "test"}
)


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


def platform_state_dir() -> Path:
    """The state directory of `make run` (sme_embedded: ``SME_STATE_DIR``, default ``var/``), so
    that a service's files (uploads, evidence) live with the platform's other state instead of
    the machine-wide temp folder."""
    return Path(os.environ.get("SME_STATE_DIR", "var"))


def service_config(service_env_name: str) -> SettingsConfigDict:
    """The pydantic-settings config of one service: prefix ``SME_<NAME>_``, ``__`` for nesting."""
    return SettingsConfigDict(
        env_prefix=f"SME_{service_env_name}_",
        env_nested_delimiter="__",
        extra="ignore",
    )


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    bootstrap_servers: str = "127.0.0.1:9092"
    # Plain text on loopback for the embedded broker; docker-compose.yml authenticates every service
    # with SASL/SCRAM, and the broker's ACLs let each principal write only its own topics.
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    # CA bundle for SSL / SASL_SSL; None trusts the system's CAs.
    ssl_cafile: Path | None = None
    # Tansu (embedded default and tests) has no idempotent producer; Apache Kafka does (architecture.md).
    enable_idempotence: bool = False
    # Prefixed to every topic and consumer group name; lets tests share one broker without collisions.
    topic_prefix: str = ""
    topic_partitions: int = 4
    topic_replication_factor: int = 1
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    request_timeout_ms: int = 10_000
    # The largest record the relay may send (aiokafka refuses bigger ones before sending); keep it
    # at or below the broker's ``message.max.bytes``. A refused row is parked (``outbox parked``).
    max_request_size: int = 1_048_576
    # How often the relay checks that the broker still has its epoch topic (i.e. kept its state).
    broker_check_interval_s: float = 5.0

    @model_validator(mode="after")
    def _require_complete_sasl(self) -> KafkaSettings:
        if self.security_protocol.startswith("SASL_") and not (
            self.sasl_mechanism and self.sasl_username and self.sasl_password
        ):
            raise ValueError(
                f"security_protocol {self.security_protocol} needs sasl_mechanism, "
                "sasl_username and sasl_password"
            )
        return self

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def client_options(self) -> dict[str, Any]:
        """Connection and authentication keywords for every aiokafka client (consumer, producer,
        admin): one place, so no client can be built without the credentials."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            cafile = str(self.ssl_cafile) if self.ssl_cafile else None
            options["ssl_context"] = create_ssl_context(cafile=cafile)
        if self.security_protocol.startswith("SASL_"):
            assert self.sasl_password is not None  # checked by _require_complete_sasl
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        return options


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    # Exactly one of jwks_url / jwks_file; the embedded default writes a file under var/.
    jwks_url: str | None = None
    jwks_file: Path | None = None
    issuer: str = "sme-platform"
    audience: str = "sme-platform"


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses add their own fields and set ``model_config``."""

    environment: Environment = Environment.DEV
    database_url: SecretStr = SecretStr("postgresql+psycopg://postgres@127.0.0.1:5432/sme")
    database_pool_size: int = 10
    # ``migrate`` connects with this URL when set (docker-compose: the role owning the schema); the
    # service itself uses ``database_url`` (the application role, which may only append to the audit).
    migration_database_url: SecretStr | None = None
    # A role every connection of the service switches to (``SET ROLE``) where the server offers one
    # login for everything: the embedded run and the tests use ``sme_app``, so that the application
    # runs with exactly the privileges it has in production.
    database_role: str | None = Field(default=None, pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    # Run the outbox relay and event consumers inside the API process (embedded default, one uvicorn
    # per service); a deployment may run them as separate ``worker`` processes instead.
    run_workers: bool = True
    log_level: str = "INFO"
    # Request bodies (request_guard.py): every route takes at most ``max_body_bytes``; a route
    # whose path starts with a prefix in ``body_limits`` (an upload) may take that many instead.
    # The gateway (deploy/gateway/nginx.conf.template) refuses larger bodies before they arrive.
    max_body_bytes: int = 1 << 20
    body_limits: dict[str, int] = Field(default_factory=dict)
    # The address callers reach the platform by (the gateway: ``https://sme.example.gov.cn``). When
    # set, events carry ``dataschema`` as an absolute URI (CloudEvents 1.0.2) and the event-schema
    # list and AsyncAPI document name absolute URLs; unset, they are paths on that address.
    public_base_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$", max_length=500
    )

    @model_validator(mode="after")
    def _strip_trailing_slash(self) -> ServiceSettings:
        if self.public_base_url:
            self.public_base_url = self.public_base_url.rstrip("/")
        return self

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> ServiceSettings:
        if self.environment in (Environment.DEV, Environment.TEST):
            return self
        for name, value in self._secret_fields():
            if value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    f"{name} holds a placeholder secret; set a real one outside dev/test"
                )
        return self

    def _secret_fields(self) -> list[tuple[str, SecretStr]]:
        found: list[tuple[str, SecretStr]] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                found.append((name, value))
        password = make_url(self.database_url.get_secret_value()).password
        found.append(("database_url password", SecretStr(str(password or ""))))
        if self.kafka.sasl_password is not None:
            found.append(("kafka.sasl_password", self.kafka.sasl_password))
        if self.migration_database_url is not None:
            password = make_url(self.migration_database_url.get_secret_value()).password
            found.append(("migration_database_url password", SecretStr(str(password or ""))))
        return found

    def migration_url(self) -> str:
        chosen = self.migration_database_url or self.database_url
        return chosen.get_secret_value()

    @property
    def sync_database_url(self) -> str:
        return self.database_url.get_secret_value()
