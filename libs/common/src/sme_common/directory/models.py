"""The directory table (created by each consuming service's migration through ``create_table_v1``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Table,
    Text,
    func,
)

from sme_common.events.tables import platform_metadata

enterprise_directory = Table(
    "enterprise_directory",
    platform_metadata,
    Column("uscc", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("region_code", Text, nullable=False),
    Column("reporting_unit_code", Text, nullable=False),
    Column("industry_code", Text),
    Column("founded_on", Date),
    Column("operating_status", Text, nullable=False),
    Column("registry_version", Integer, nullable=False),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_enterprise_directory_region", "region_code"),
    Index("ix_enterprise_directory_unit", "reporting_unit_code"),
)

# One row per applied event, in the order applied: the service's own trail of what it learnt from the
# register. Nothing but the inbox stops a redelivered event from adding a second row, which is what
# makes it a faithful witness of exactly-once processing.
enterprise_directory_change = Table(
    "enterprise_directory_change",
    platform_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("registry_version", Integer, nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


def create_table_v1() -> None:
    op.create_table(
        "enterprise_directory",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reporting_unit_code", sa.Text, nullable=False),
        sa.Column("industry_code", sa.Text),
        sa.Column("founded_on", sa.Date),
        sa.Column("operating_status", sa.Text, nullable=False),
        sa.Column("registry_version", sa.Integer, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_enterprise_directory_region", "enterprise_directory", ["region_code"])
    op.create_index("ix_enterprise_directory_unit", "enterprise_directory", ["reporting_unit_code"])
    op.create_table(
        "enterprise_directory_change",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("registry_version", sa.Integer, nullable=False),
        sa.Column(
            "applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )
    op.create_index("ix_enterprise_directory_change_uscc", "enterprise_directory_change", ["uscc"])
