from pathlib import Path

from sme_common.settings import ServiceSettings, service_config
from sme_finance_matching.lists.domain import Schedule


class Settings(ServiceSettings):
    """``SME_FINANCE_MATCHING_*`` environment variables."""

    model_config = service_config("FINANCE_MATCHING")

    lists_schedule: Schedule = Schedule.MONTHLY
    """How often every active institution gets a scheduled list snapshot (名单推送)."""
    lists_signing_key_file: Path | None = None
    """The Ed25519 private key (PEM) that signs list manifests; created when absent. Unset: an
    ephemeral key per process (development and tests only)."""
