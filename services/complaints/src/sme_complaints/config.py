from sme_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    """``SME_COMPLAINTS_*`` environment variables."""

    model_config = service_config("COMPLAINTS")
