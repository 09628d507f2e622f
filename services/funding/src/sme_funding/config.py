from pathlib import Path

from pydantic import Field

from sme_common.settings import ServiceSettings, platform_state_dir, service_config
from sme_common.storage import StorageSettings

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
"""A subsidy project's evidence document (``projects.schemas.EVIDENCE_MAX_BYTES``)."""


class Settings(ServiceSettings):
    """``SME_FUNDING_*`` environment variables."""

    model_config = service_config("FUNDING")
    # Where subsidy projects' evidence documents are kept by the local-disk storage
    # (sme_common.storage). Every process serving the API must see this directory, or the
    # documents go to an S3-compatible bucket: STORAGE__KIND=s3 and the storage's settings.
    evidence_dir: Path = Field(
        default_factory=lambda: platform_state_dir() / "funding" / "evidence"
    )
    storage: StorageSettings = Field(default_factory=StorageSettings)
    # The evidence upload is the one route taking more than a small JSON body; its prefix is
    # matched against the path, so it names the project collection (uploads end in /evidence).
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/funding/v1/projects/": EVIDENCE_MAX_BYTES + 1024}
    )
