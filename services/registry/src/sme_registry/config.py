import tempfile
from pathlib import Path

from sme_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    """``SME_REGISTRY_*`` environment variables."""

    model_config = service_config("REGISTRY")

    # Where uploaded import files wait for their job (removed when the job ends).
    import_dir: Path = Path(tempfile.gettempdir()) / "sme-registry-imports"
