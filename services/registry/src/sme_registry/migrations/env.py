from sme_common.db.migrations import run_env

import sme_registry.enterprises.models
import sme_registry.reference.models  # noqa: F401
from sme_registry.metadata import Base

run_env(Base.metadata)
