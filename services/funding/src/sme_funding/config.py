from pathlib import Path

from pydantic import Field

from sme_common.settings import ServiceSettings, platform_state_dir, service_config

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
"""A subsidy project's evidence document (``projects.schemas.EVIDENCE_MAX_BYTES``)."""


class Settings(ServiceSettings):
    """``SME_FUNDING_*`` environment variables."""

    model_config = service_config("FUNDING")
    # Where subsidy projects' evidence documents are kept by the local-disk storage
    # (projects/storage.py). Every process serving the API must see this directory.
    evidence_dir: Path = Field(
        default_factory=lambda: platform_state_dir() / "funding" / "evidence"
    )
    # The evidence upload is the one route taking more than a small JSON body; its prefix is
    # matched against the path, so it names the project collection (uploads end in /evidence).
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/funding/v1/projects/": EVIDENCE_MAX_BYTES + 1024}
    )
