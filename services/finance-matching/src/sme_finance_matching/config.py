from sme_common.settings import ServiceSettings, service_config


class Settings(ServiceSettings):
    """``SME_FINANCE_MATCHING_*`` environment variables."""

    model_config = service_config("FINANCE_MATCHING")
