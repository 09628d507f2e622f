"""Loading the reference data files into the register's tables (``python -m sme_registry
load-reference``). Running it again changes nothing unless the files changed."""

from __future__ import annotations

import psycopg

from sme_common.db import Database
from sme_common.db.engine import to_sync_url
from sme_common.reference.industries import IndustryCatalog
from sme_common.reference.regions import RegionCatalog
from sme_common.settings import ServiceSettings
from sme_registry.reference import repository
from sme_registry.reference.schemas import IndustrySectionRead, RegionRead


async def list_regions(database: Database, *, parent_code: str | None) -> list[RegionRead]:
    async with database.sessionmaker() as session:
        rows = await repository.regions(session, parent_code=parent_code)
    return [RegionRead.model_validate(row) for row in rows]


async def list_industry_sections(database: Database) -> list[IndustrySectionRead]:
    async with database.sessionmaker() as session:
        rows = await repository.industry_sections(session)
    return [IndustrySectionRead.model_validate(row) for row in rows]


def load_reference_data(database_url: str) -> tuple[int, int]:
    regions = RegionCatalog.load()
    industries = IndustryCatalog.load()
    region_rows = []
    for region in regions.all():
        unit = regions.reporting_unit_for(region.code)
        region_rows.append(
            (
                region.code,
                region.name,
                region.level,
                region.parent_code,
                unit.code if unit else None,
                region.valid_from_year,
                region.valid_to_year,
                regions.version,
            )
        )
    section_rows = [
        (s.code, s.name_zh, s.name_en, s.first_division, s.last_division, industries.version)
        for s in industries.sections()
    ]
    with psycopg.connect(to_sync_url(database_url)) as connection:
        repository.store_regions(connection, region_rows)
        repository.store_industry_sections(connection, section_rows)
    return len(region_rows), len(section_rows)


def load_reference_command(settings: ServiceSettings) -> int:
    regions, sections = load_reference_data(settings.database_url.get_secret_value())
    print(f"reference data loaded: {regions} regions, {sections} industry sections")  # noqa: T201
    return 0
