import os
from pathlib import Path

from pydantic import Field

from sme_common.settings import ServiceSettings, service_config


def _state_dir() -> Path:
    # The state directory of `make run` (sme_embedded: SME_STATE_DIR, default var/), as registry's
    # uploads use.
    return Path(os.environ.get("SME_STATE_DIR", "var"))


class Settings(ServiceSettings):
    """``SME_CERTIFICATION_*`` environment variables."""

    model_config = service_config("CERTIFICATION")

    # Where evidence documents are kept by the local-disk storage (storage.py). Every process
    # serving the API must see this directory (a shared volume when they are separate).
    evidence_dir: Path = Field(default_factory=lambda: _state_dir() / "certification" / "evidence")
