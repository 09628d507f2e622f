"""Settings: one prefix per service, secrets hidden, placeholders refused outside dev and test."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from sme_common.settings import ServiceSettings, service_config


class DemoSettings(ServiceSettings):
    model_config = service_config("DEMO")
    api_secret: SecretStr = SecretStr("changeme")


def test_environment_variables_use_the_service_prefix_and_nesting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SME_DEMO_DATABASE_URL", "postgresql://u:p4ss-w0rd@db:5432/demo")
    monkeypatch.setenv("SME_DEMO_KAFKA__BOOTSTRAP_SERVERS", "kafka:9092")
    settings = DemoSettings()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert "p4ss-w0rd" not in repr(settings)


def test_placeholder_secrets_are_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SME_DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("SME_DEMO_DATABASE_URL", "postgresql://u:s3cure-Pass@db:5432/demo")
    with pytest.raises(ValidationError, match="api_secret"):
        DemoSettings()
    monkeypatch.setenv("SME_DEMO_API_SECRET", "a-real-and-long-secret")
    DemoSettings()


def test_placeholder_database_password_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SME_DEMO_ENVIRONMENT", "production")
    monkeypatch.setenv("SME_DEMO_API_SECRET", "a-real-and-long-secret")
    monkeypatch.setenv("SME_DEMO_DATABASE_URL", "postgresql://u:changeme@db:5432/demo")
    with pytest.raises(ValidationError, match="password"):
        DemoSettings()


def test_placeholders_are_fine_in_dev() -> None:
    assert DemoSettings(environment="dev").api_secret.get_secret_value() == "changeme"


def test_the_public_base_url_is_an_http_address_kept_without_a_trailing_slash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert DemoSettings().public_base_url is None
    monkeypatch.setenv("SME_DEMO_PUBLIC_BASE_URL", "https://sme.example.gov.cn/platform/")
    assert DemoSettings().public_base_url == "https://sme.example.gov.cn/platform"
    for wrong in ("sme.example.gov.cn", "ftp://sme.example.gov.cn", "https://x/?q=1"):
        monkeypatch.setenv("SME_DEMO_PUBLIC_BASE_URL", wrong)
        with pytest.raises(ValidationError, match="public_base_url"):
            DemoSettings()
