import secrets
from pathlib import Path

from pydantic import Field, SecretStr

from sme_common.settings import ServiceSettings, platform_state_dir, service_config
from sme_common.storage import StorageSettings

# Debian's fonts-wqy-zenhei (TrueType outlines in a collection; `make test` and `make run` install
# it). Any TrueType/OpenType CJK font may be named instead with SME_CERTIFICATION_CJK_FONT_PATH.
DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


class Settings(ServiceSettings):
    """``SME_CERTIFICATION_*`` environment variables."""

    model_config = service_config("CERTIFICATION")

    # The province's prefix on certificate numbers (GS-ZJTX-2026-000123: 甘肃).
    certificate_number_prefix: str = Field(default="GS", pattern=r"^[A-Z]{2,4}$")
    # Days before a title's last valid day on which its holder is told to file the re-review
    # (复核) and the certificate moves to under_re_review (it stays valid).
    expiry_alert_lead_days: int = Field(default=90, ge=0, le=1095)
    # How often the workers run the lifecycle jobs (alerts, expiry, unfiled re-reviews); each run
    # does what is due on the business day, so running more often changes nothing.
    lifecycle_interval_s: float = Field(default=3600.0, gt=0)
    # The CJK font the PDF certificate is set in, and which font of a collection (.ttc) to use.
    cjk_font_path: Path = DEFAULT_CJK_FONT
    cjk_font_index: int = Field(default=0, ge=0)
    # Where evidence documents are kept by the local-disk storage (sme_common.storage). Every
    # process serving the API must see this directory (a shared volume when they are separate),
    # or the documents go to an S3-compatible bucket: STORAGE__KIND=s3 and the storage's settings.
    evidence_dir: Path = Field(
        default_factory=lambda: platform_state_dir() / "certification" / "evidence"
    )
    storage: StorageSettings = Field(default_factory=StorageSettings)
    # The public objection endpoint has no token: one client (by address, behind the gateway the
    # X-Forwarded-For uvicorn trusts) may file this many objections in a rolling day.
    public_objections_per_client_per_day: int = Field(default=5, ge=1, le=1000)
    # The key of the clients' fingerprints (HMAC-SHA256 of the address; the address is not kept).
    # Set it in production so every process counts alike; by default each process draws its own.
    client_fingerprint_key: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_hex(32))
    )
    # How many experts are drawn for an application when the province does not say (3 to 5 is
    # usual; each is drawn at random from the eligible pool).
    expert_panel_size: int = Field(default=3, ge=1, le=9)
