"""Database access: naming conventions, async engine on psycopg 3, unit of work, Alembic helpers."""

from sme_common.db.base import NAMING_CONVENTION, make_metadata, utcnow
from sme_common.db.engine import Database, to_async_url, to_sync_url
from sme_common.db.uow import UnitOfWork

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "UnitOfWork",
    "make_metadata",
    "to_async_url",
    "to_sync_url",
    "utcnow",
]
