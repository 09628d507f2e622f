"""Assembly of the finance-matching service."""

from __future__ import annotations

from fastapi import FastAPI

from sme_common.db.engine import Database
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import ServiceSettings
from sme_finance_matching.certified.consumers import certificates_consumer
from sme_finance_matching.config import Settings
from sme_finance_matching.enterprises.consumers import enterprise_directory_consumer
from sme_finance_matching.enterprises.router import router as enterprises_router
from sme_finance_matching.feedback.events import LOAN_TOPIC
from sme_finance_matching.feedback.router import router as feedback_router
from sme_finance_matching.institutions.router import router as institutions_router
from sme_finance_matching.lists.events import SNAPSHOT_TOPIC
from sme_finance_matching.lists.router import DELTA_PULLS_SHORTCUT
from sme_finance_matching.lists.router import router as lists_router
from sme_finance_matching.lists.worker import lists_publish_command, lists_publish_task
from sme_finance_matching.monitoring.router import router as monitoring_router
from sme_finance_matching.needs.events import NEED_TOPIC
from sme_finance_matching.needs.router import router as needs_router
from sme_finance_matching.products.router import router as products_router
from sme_finance_matching.pushes.events import ENTERPRISE_PUSH_TOPIC
from sme_finance_matching.pushes.router import router as pushes_router

DEFINITION = ServiceDefinition(
    name="finance-matching",
    package="sme_finance_matching",
    title="SME platform — finance matching",
    # Lists first: routes are matched in order, and the banks' list reads are the busiest paths
    # (the delta pulls themselves are answered before the routing: DELTA_PULLS_SHORTCUT).
    routers=[
        lists_router,
        enterprises_router,
        institutions_router,
        products_router,
        needs_router,
        feedback_router,
        monitoring_router,
        pushes_router,
    ],
    settings_factory=Settings,
    consumers=[enterprise_directory_consumer, certificates_consumer],
    produced_topics=[NEED_TOPIC, LOAN_TOPIC, SNAPSHOT_TOPIC, ENTERPRISE_PUSH_TOPIC],
    extra_commands={"lists-publish": lists_publish_command},
    background_tasks=[lists_publish_task],
    inner_middleware=[DELTA_PULLS_SHORTCUT],
)


def create_app(
    settings: ServiceSettings | None = None, *, database: Database | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings(), database=database)
