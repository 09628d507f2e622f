from sme_common.db.migrations import run_env
from sme_registry.metadata import Base
from sme_registry.migrations import env_models  # noqa: F401  (registers the tables)

run_env(Base.metadata)
