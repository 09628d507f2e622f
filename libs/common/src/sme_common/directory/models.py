"""The directory tables, created by each consuming service's migrations: the register entries and
their trail through ``create_table_v1``; what registry announces beside the entry (size-class
decisions, credit flags, the people serving an enterprise) through ``create_tables_v2``.

The v2 tables are keyed by USCC alone, with no reference to ``enterprise_directory``: an event
about an enterprise may arrive before its registration (a dead-lettered registration, a rebuild
from a topic that no longer holds it), and is kept all the same."""

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
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

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

# Every size-class decision registry announced (registry.enterprise.size-class-changed.v1, sent only
# when the class changes), so that the class in force on any day can be read back: 国务院令第802号
# 第三条 takes an enterprise's size at the date a contract was signed. ``size_class`` is null where
# registry could not decide (its explanation says why).
enterprise_directory_size_class = Table(
    "enterprise_directory_size_class",
    platform_metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Text, nullable=False, unique=True),
    Column("uscc", Text, nullable=False),
    Column("size_class", Text),
    Column("previous_size_class", Text),
    Column("basis_year", Integer),
    Column("rule_version", Text, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_enterprise_directory_size_class_uscc", "uscc", "decided_at"),
)

# Each credit flag as its latest flags-changed event left it: its period tells whether it is in
# force on a day, which registry's ``active_flags`` cannot once a day passes (an end date coming
# round is no event).
enterprise_directory_flag = Table(
    "enterprise_directory_flag",
    platform_metadata,
    Column("uscc", Text, nullable=False),
    Column("flag_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("change", Text, nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
    PrimaryKeyConstraint("uscc", "flag_id"),
)

# Per enterprise, the flag kinds in force as registry stated them with its latest flags-changed
# event (a JSON array of strings, sorted).
enterprise_directory_flags = Table(
    "enterprise_directory_flags",
    platform_metadata,
    Column("uscc", Text, primary_key=True),
    Column("active_flags", JSONB, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
)

# Per enterprise, everyone serving it (服务专员, 金融顾问) after registry's latest
# service-people-changed event: the event carries the whole list, kept as it came.
enterprise_directory_people = Table(
    "enterprise_directory_people",
    platform_metadata,
    Column("uscc", Text, primary_key=True),
    Column("people", JSONB, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("event_id", Text, nullable=False),
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


def create_tables_v2() -> None:
    """Size-class history, credit flags and serving people (each service's migration calls it
    once; ``python -m sme_<service> rebuild-directory`` then reads what the topic already holds)."""
    op.create_table(
        "enterprise_directory_size_class",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("size_class", sa.Text),
        sa.Column("previous_size_class", sa.Text),
        sa.Column("basis_year", sa.Integer),
        sa.Column("rule_version", sa.Text, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint("event_id", name="uq_enterprise_directory_size_class_event_id"),
    )
    op.create_index(
        "ix_enterprise_directory_size_class_uscc",
        "enterprise_directory_size_class",
        ["uscc", "decided_at"],
    )
    op.create_table(
        "enterprise_directory_flag",
        sa.Column("uscc", sa.Text, nullable=False),
        sa.Column("flag_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("uscc", "flag_id", name="pk_enterprise_directory_flag"),
    )
    op.create_table(
        "enterprise_directory_flags",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("active_flags", JSONB, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
    )
    op.create_table(
        "enterprise_directory_people",
        sa.Column("uscc", sa.Text, primary_key=True),
        sa.Column("people", JSONB, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
    )
