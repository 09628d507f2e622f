import tempfile
from pathlib import Path

from pydantic import Field

from sme_common.settings import ServiceSettings, service_config

IMPORT_MAX_BYTES = 50 << 20


class Settings(ServiceSettings):
    """``SME_REGISTRY_*`` environment variables."""

    model_config = service_config("REGISTRY")

    # Where uploaded import files wait for their job (removed when the job ends).
    import_dir: Path = Path(tempfile.gettempdir()) / "sme-registry-imports"
    # The import upload is the one route that takes more than a small JSON body (the gateway's
    # client_max_body_size for /api/registry/v1/imports is the same).
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/registry/v1/imports": IMPORT_MAX_BYTES}
    )
