from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from sme_finance_matching.metadata import Base


class Institution(Base):
    """A bank, guarantee agency, insurer or securities firm (金融机构)."""

    __tablename__ = "institution"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    uscc: Mapped[str] = mapped_column(Text, unique=True)
    province_code: Mapped[str] = mapped_column(Text)
    region_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    tiers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(Text)


class InstitutionClient(Base):
    """An OAuth2 client (the token's ``client_id`` claim) acting for exactly one institution."""

    __tablename__ = "institution_client"

    client_id: Mapped[str] = mapped_column(Text, primary_key=True)
    institution_id: Mapped[str] = mapped_column(Text, ForeignKey("institution.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    linked_by: Mapped[str] = mapped_column(Text)
