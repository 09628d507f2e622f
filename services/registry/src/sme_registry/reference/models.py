"""Reference data held by the register: GB/T 2260 regions with reporting units, GB/T 4754 sections.

The source of truth is the versioned data files in ``sme_common.reference.data``; ``load-reference``
copies them here so that agency systems can read them over the API.
"""

from __future__ import annotations

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from sme_registry.metadata import Base


class ReferenceRegion(Base):
    __tablename__ = "reference_region"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(Text)
    reporting_unit_code: Mapped[str | None] = mapped_column(Text)
    valid_from_year: Mapped[int | None] = mapped_column(Integer)
    valid_to_year: Mapped[int | None] = mapped_column(Integer)
    data_version: Mapped[str] = mapped_column(Text)


class ReferenceIndustrySection(Base):
    __tablename__ = "reference_industry_section"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    first_division: Mapped[int] = mapped_column(Integer)
    last_division: Mapped[int] = mapped_column(Integer)
    data_version: Mapped[str] = mapped_column(Text)
