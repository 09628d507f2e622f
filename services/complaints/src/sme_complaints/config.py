from pydantic import Field

from sme_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    """``SME_COMPLAINTS_*`` environment variables."""

    model_config = service_config("COMPLAINTS")

    # Status callbacks to the channels (callbacks/): how often the worker looks for due
    # deliveries, how long one POST may take, and the backoff between attempts of one delivery.
    callback_interval_s: float = Field(default=5.0, gt=0)
    callback_timeout_s: float = Field(default=10.0, gt=0, le=120)
    callback_backoff_initial_s: float = Field(default=30.0, gt=0)
    callback_backoff_max_s: float = Field(default=3600.0, gt=0)
    # Hosts a callback URL may name over plain http (tests, a local stack); https elsewhere.
    callback_http_hosts: list[str] = Field(default_factory=list)
