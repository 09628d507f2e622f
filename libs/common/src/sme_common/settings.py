"""Settings shared by every service (pydantic-settings, one class per service, one env prefix each).

A service declares ``class Settings(ServiceSettings)`` with ``model_config = service_config("REGISTRY")``
so that ``SME_REGISTRY_DATABASE_URL`` configures it. Settings are built once, in ``create_app`` or the
CLI, and passed down: nothing reads the environment at import time.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

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
    # Tansu (embedded default and tests) has no idempotent producer; Apache Kafka does (architecture.md).
    enable_idempotence: bool = False
    # Prefixed to every topic and consumer group name; lets tests share one broker without collisions.
    topic_prefix: str = ""
    topic_partitions: int = 4
    topic_replication_factor: int = 1
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    request_timeout_ms: int = 10_000

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"


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
