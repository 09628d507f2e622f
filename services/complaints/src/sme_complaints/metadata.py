"""The complaints database's declarative base (its own metadata: it owns its tables)."""

from sqlalchemy.orm import DeclarativeBase

from sme_common.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
