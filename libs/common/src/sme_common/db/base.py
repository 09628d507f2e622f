"""Metadata with a fixed naming convention so that Alembic migrations name constraints predictably."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData

from sme_common import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata() -> MetaData:
    """A fresh MetaData for one service's database (each service owns its own tables)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The business clock's now (``sme_common.clock``): a test that fixes the clock fixes this."""
    return clock.now()
