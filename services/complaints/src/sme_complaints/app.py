"""Assembly of the complaints service."""

from __future__ import annotations

from fastapi import FastAPI

from sme_common.db.engine import Database
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import ServiceSettings
from sme_complaints.callbacks.router import router as callbacks_router
from sme_complaints.callbacks.worker import callback_delivery
from sme_complaints.case_terms.router import router as case_terms_router
from sme_complaints.cases.cli import COMMAND as MARK_OVERDUE_COMMAND
from sme_complaints.cases.cli import mark_overdue_command
from sme_complaints.cases.events import CASE_TOPIC
from sme_complaints.cases.router import router as cases_router
from sme_complaints.categories.router import router as categories_router
from sme_complaints.config import Settings
from sme_complaints.demands.router import router as demands_router
from sme_complaints.demands.service import DEMAND_TOPIC
from sme_complaints.enterprises.consumers import enterprise_directory_consumer
from sme_complaints.enterprises.router import router as enterprises_router
from sme_complaints.respondents.router import router as respondents_router
from sme_complaints.terms.router import router as terms_router

DEFINITION = ServiceDefinition(
    name="complaints",
    package="sme_complaints",
    title="SME platform — overdue-payment complaints",
    routers=[
        enterprises_router,
        categories_router,
        cases_router,
        terms_router,
        case_terms_router,
        callbacks_router,
        respondents_router,
        demands_router,
    ],
    settings_factory=Settings,
    consumers=[enterprise_directory_consumer],
    produced_topics=[CASE_TOPIC, DEMAND_TOPIC],
    extra_commands={MARK_OVERDUE_COMMAND: mark_overdue_command},
    background_tasks=[callback_delivery],
)


def create_app(
    settings: ServiceSettings | None = None, *, database: Database | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings(), database=database)
