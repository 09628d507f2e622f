"""Assembly of the certification service."""

from __future__ import annotations

from fastapi import FastAPI

from sme_certification.applications.events import APPLICATION_TOPIC
from sme_certification.applications.router import router as applications_router
from sme_certification.batches.router import router as batches_router
from sme_certification.certificates.events import CERTIFICATE_TOPIC
from sme_certification.certificates.router import router as certificates_router
from sme_certification.certificates.worker import (
    certificate_lifecycle,
    certificate_lifecycle_command,
)
from sme_certification.config import Settings
from sme_certification.decisions.router import router as decisions_router
from sme_certification.enterprises.consumers import enterprise_directory_consumer
from sme_certification.enterprises.router import router as enterprises_router
from sme_certification.evaluations.cli import COMMAND as REEVALUATE_COMMAND
from sme_certification.evaluations.cli import reevaluate_command
from sme_certification.evaluations.router import router as evaluations_router
from sme_certification.experts.router import router as experts_router
from sme_certification.facts.consumers import enterprise_facts_consumer
from sme_certification.facts.router import router as facts_router
from sme_certification.notices.router import router as notices_router
from sme_certification.statistics.router import router as statistics_router
from sme_common.db.engine import Database
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import ServiceSettings

DEFINITION = ServiceDefinition(
    name="certification",
    package="sme_certification",
    title="SME platform — certification of quality SMEs",
    routers=[
        enterprises_router,
        facts_router,
        batches_router,
        applications_router,
        certificates_router,
        statistics_router,
        experts_router,
        notices_router,
        decisions_router,
        evaluations_router,
    ],
    settings_factory=Settings,
    consumers=[enterprise_directory_consumer, enterprise_facts_consumer],
    produced_topics=[APPLICATION_TOPIC, CERTIFICATE_TOPIC],
    extra_commands={
        "certificate-lifecycle": certificate_lifecycle_command,
        REEVALUATE_COMMAND: reevaluate_command,
    },
    background_tasks=[certificate_lifecycle],
)


def create_app(
    settings: ServiceSettings | None = None, *, database: Database | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings(), database=database)
