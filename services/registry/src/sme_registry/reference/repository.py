"""Queries over the reference tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sme_registry.reference.models import ReferenceIndustrySection, ReferenceRegion


async def regions(session: AsyncSession, *, parent_code: str | None) -> list[ReferenceRegion]:
    query = select(ReferenceRegion).order_by(ReferenceRegion.code)
    if parent_code is not None:
        query = query.where(ReferenceRegion.parent_code == parent_code)
    return list((await session.execute(query)).scalars())


async def industry_sections(session: AsyncSession) -> list[ReferenceIndustrySection]:
    query = select(ReferenceIndustrySection).order_by(ReferenceIndustrySection.code)
    return list((await session.execute(query)).scalars())


def store_regions(connection: psycopg.Connection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert or refresh regions: (code, name, level, parent_code, reporting_unit_code,
    valid_from_year, valid_to_year, data_version)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            """INSERT INTO reference_region (code, name, level, parent_code, reporting_unit_code,
                   valid_from_year, valid_to_year, data_version)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
                   parent_code = EXCLUDED.parent_code,
                   reporting_unit_code = EXCLUDED.reporting_unit_code,
                   valid_from_year = EXCLUDED.valid_from_year,
                   valid_to_year = EXCLUDED.valid_to_year, data_version = EXCLUDED.data_version""",
            rows,
        )


def store_industry_sections(
    connection: psycopg.Connection[Any], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert or refresh industry sections: (code, name_zh, name_en, first_division,
    last_division, data_version)."""
    with connection.cursor() as cursor:
        cursor.executemany(
            """INSERT INTO reference_industry_section (code, name_zh, name_en, first_division,
                   last_division, data_version)
               VALUES (%s, %s, %s, %s, %s, %s)
               ON CONFLICT (code) DO UPDATE SET name_zh = EXCLUDED.name_zh,
                   name_en = EXCLUDED.name_en, first_division = EXCLUDED.first_division,
                   last_division = EXCLUDED.last_division, data_version = EXCLUDED.data_version""",
            rows,
        )
