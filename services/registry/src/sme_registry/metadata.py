"""The registry database's declarative base (its own metadata: the registry owns its tables)."""

from sme_common.db import make_metadata
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    metadata = make_metadata()
