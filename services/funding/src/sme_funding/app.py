"""Assembly of the funding service."""

from __future__ import annotations

from fastapi import FastAPI

from sme_common.db.engine import Database
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import ServiceSettings
from sme_funding.approvals.router import router as approvals_router
from sme_funding.budgets.router import router as budgets_router
from sme_funding.clawback.events import CLAWBACK_TOPIC
from sme_funding.clawback.router import router as clawback_router
from sme_funding.config import Settings
from sme_funding.enterprises.consumers import enterprise_directory_consumer
from sme_funding.enterprises.router import router as enterprises_router
from sme_funding.entitlements.consumers import certificates_consumer, enterprise_credit_consumer
from sme_funding.entitlements.events import ENTITLEMENT_TOPIC
from sme_funding.entitlements.router import router as entitlements_router
from sme_funding.entitlements.worker import evaluate_pending_command, evaluate_pending_task
from sme_funding.ledger.cli import ledger_check_command
from sme_funding.ledger.router import router as ledger_router
from sme_funding.payments.events import PAYMENT_TOPIC
from sme_funding.payments.router import router as payments_router
from sme_funding.policies.router import router as policies_router
from sme_funding.projects.router import router as projects_router
from sme_funding.reports.router import router as reports_router

DEFINITION = ServiceDefinition(
    name="funding",
    package="sme_funding",
    title="SME platform — awards and subsidies",
    routers=[
        enterprises_router,
        policies_router,
        entitlements_router,
        budgets_router,
        ledger_router,
        approvals_router,
        payments_router,
        clawback_router,
        reports_router,
        projects_router,
    ],
    settings_factory=Settings,
    consumers=[enterprise_directory_consumer, certificates_consumer, enterprise_credit_consumer],
    produced_topics=[ENTITLEMENT_TOPIC, PAYMENT_TOPIC, CLAWBACK_TOPIC],
    extra_commands={
        "evaluate-pending": evaluate_pending_command,
        "ledger-check": ledger_check_command,
    },
    background_tasks=[evaluate_pending_task],
)


def create_app(
    settings: ServiceSettings | None = None, *, database: Database | None = None
) -> FastAPI:
    return create_service_app(DEFINITION, settings or Settings(), database=database)
