"""The certification database's declarative base (its own metadata: the service owns its tables)."""

from sqlalchemy.orm import DeclarativeBase

from sme_common.db import make_metadata


class Base(DeclarativeBase):
    metadata = make_metadata()
