import sme_common.directory.models  # noqa: F401  (registers the directory table)
from sme_certification.metadata import Base
from sme_certification.migrations import env_models  # noqa: F401  (registers the tables)
from sme_common.db.migrations import run_env

run_env(Base.metadata)
