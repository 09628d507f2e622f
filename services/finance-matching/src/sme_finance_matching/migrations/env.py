import sme_common.directory.models  # noqa: F401  (registers the directory table)
from sme_common.db.migrations import run_env
from sme_finance_matching.metadata import Base
from sme_finance_matching.migrations import env_models  # noqa: F401  (registers the tables)

run_env(Base.metadata)
