import sme_common.directory.models  # noqa: F401  (registers the directory table)
from sme_common.db.migrations import run_env
from sme_complaints.metadata import Base
from sme_complaints.migrations import env_models  # noqa: F401  (registers the tables)

run_env(Base.metadata)
