from pathlib import Path

from pydantic import Field

from sme_common.settings import ServiceSettings, platform_state_dir, service_config

IMPORT_MAX_BYTES = 50 << 20


class Settings(ServiceSettings):
    """``SME_REGISTRY_*`` environment variables."""

    model_config = service_config("REGISTRY")

    # Where uploaded import files wait for their job (removed when the job ends). Every process
    # that runs import workers must see this directory (a shared volume when they are separate).
    import_dir: Path = Field(default_factory=lambda: platform_state_dir() / "registry" / "imports")
    # Where XLSX exports are assembled before they are streamed (removed once sent).
    export_dir: Path = Field(default_factory=lambda: platform_state_dir() / "registry" / "exports")
    # Largest upload accepted by POST /imports (bytes); more is a 413 payload_too_large.
    import_max_upload_bytes: int = Field(default=IMPORT_MAX_BYTES, ge=1)
    # Largest total uncompressed size an XLSX may declare (zip bomb guard); more fails the job
    # with file_too_large before the workbook is opened.
    import_max_xlsx_uncompressed_bytes: int = Field(default=512 * 1024 * 1024, ge=1)
    # Import jobs run at the same time in one worker process.
    import_concurrency: int = Field(default=1, ge=1)
    # Rows per transaction; a restarted job resumes after the last committed chunk.
    import_chunk_rows: int = Field(default=5_000, ge=1)
    # How often an idle import worker looks for queued jobs when no notification arrives.
    import_poll_interval_s: float = Field(default=1.0, gt=0)
    # The import upload is the one route that takes more than a small JSON body (the gateway's
    # client_max_body_size for /api/registry/v1/imports is the same).
    body_limits: dict[str, int] = Field(
        default_factory=lambda: {"/api/registry/v1/imports": IMPORT_MAX_BYTES}
    )
