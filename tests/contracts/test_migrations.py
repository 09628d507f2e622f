"""Each service's migrations produce exactly the tables its code declares (no drift)."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

import sme_common.audit.tables
import sme_common.directory.models  # noqa: F401  (registers the directory tables)
from sme_common.db.engine import to_async_url
from sme_common.events.tables import platform_metadata
from sme_common.testing.plugin import DatabaseFactory
from sme_embedded.platform import SERVICES, ServiceModule


def declared_metadata(module: ServiceModule) -> MetaData:
    combined = MetaData()
    package = module.definition.package
    try:
        own = importlib.import_module(f"{package}.metadata").Base.metadata
        importlib.import_module(f"{package}.migrations.env_models")
    except ModuleNotFoundError:
        own = MetaData()
    for table in [*own.tables.values()]:
        table.to_metadata(combined)
    names = set(combined.tables)
    for table in platform_metadata.tables.values():
        if module.definition.name == "registry" and table.name.startswith("enterprise_directory"):
            continue  # registry is the register itself; it keeps no directory of it
        if table.name not in names:
            table.to_metadata(combined)
    return combined


@pytest.mark.parametrize("module", SERVICES, ids=lambda m: m.definition.name)
def test_migrations_match_the_declared_tables(
    module: ServiceModule, database_factory: DatabaseFactory
) -> None:
    url = database_factory.create(module.definition.name, module.definition.package)
    engine = create_engine(to_async_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, declared_metadata(module))
    finally:
        engine.dispose()
    assert differences == []
