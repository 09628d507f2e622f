"""Assembly of the registry service."""

from __future__ import annotations

from fastapi import FastAPI

from sme_common.db.engine import Database
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import ServiceSettings
from sme_registry.activity.consumers import certification_consumer, history_consumer
from sme_registry.bulk.router import router as bulk_router
from sme_registry.bulk.worker import import_workers
from sme_registry.config import Settings
from sme_registry.enterprises.events import ENTERPRISE_TOPIC
from sme_registry.enterprises.router import router as enterprises_router
from sme_registry.facts.router import router as facts_router
from sme_registry.flags.router import router as flags_router
from sme_registry.people.router import router as people_router
from sme_registry.pools.router import router as pools_router
from sme_registry.profile.router import router as profile_router
from sme_registry.reference.router import router as reference_router
from sme_registry.reference.service import load_reference_command
from sme_registry.sizing.router import router as sizing_router

DEFINITION = ServiceDefinition(
    name="registry",
    package="sme_registry",
    title="SME platform — enterprise register",
    description="Enterprises keyed by unified social credit code; the register every service uses.",
    routers=[
        enterprises_router,
        facts_router,
        sizing_router,
        flags_router,
        pools_router,
        people_router,
        profile_router,
        bulk_router,
        reference_router,
    ],
    consumers=[certification_consumer, history_consumer],
    settings_factory=Settings,
    produced_topics=[ENTERPRISE_TOPIC],
    extra_commands={"load-reference": load_reference_command},
    background_tasks=[import_workers],
)


def create_app(
    settings: ServiceSettings | None = None, *, database: Database | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings(), database=database)
