import sme_common.directory.models  # noqa: F401  (registers the directory table)
from sme_common.db.migrations import run_env
from sme_common.events.tables import platform_metadata

run_env(platform_metadata)
