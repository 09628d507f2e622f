from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from sme_common.auth import Principal, Role, require
from sme_common.calendar import platform_calendar
from sme_common.errors import problems
from sme_complaints.terms import domain
from sme_complaints.terms.schemas import (
    ContractFactsIn,
    PaymentTermsEvaluation,
    evaluation_read,
)

router = APIRouter(tags=["payment-terms"])

terms_reader = require(
    roles=(
        Role.PROVINCE_OFFICER,
        Role.CITY_OFFICER,
        Role.COUNTY_OFFICER,
        Role.PLATFORM_ADMIN,
        Role.HOTLINE,
        Role.AGENCY_SYSTEM,
    ),
    scope="complaints:read",
)
"""Officers, the hotline and agency systems (with ``complaints:read``): a computation on the
facts sent, reading nothing stored."""

CODES = (
    "regulation_not_in_force",
    "calendar_year_unknown",
    "lpr_not_known",
    "agreed_term_required",
    "delivered_on_required",
    "settlement_confirmed_on_required",
    "inspection_period_required",
    "accepted_before_delivery",
)


def to_facts(body: ContractFactsIn) -> domain.ContractFacts:
    return domain.ContractFacts(
        respondent_type=body.respondent_type,
        signed_on=body.contract_signed_on,
        payment_basis=body.payment_basis,
        amount_owed_fen=body.amount_owed_fen,
        delivered_on=body.delivered_on,
        inspection_period_days=body.inspection_period_days,
        accepted_on=body.accepted_on,
        settlement_confirmed_on=body.settlement_confirmed_on,
        agreed_term_days=body.agreed_term_days,
        agreed_annual_rate_percent=body.agreed_annual_rate_percent,
        back_to_back_clause=body.back_to_back_clause,
    )


@router.post(
    "/payment-terms/evaluate",
    response_model=PaymentTermsEvaluation,
    responses=problems(codes={422: CODES}),
)
async def evaluate_payment_terms(
    body: ContractFactsIn, _principal: Annotated[Principal, Depends(terms_reader)]
) -> PaymentTermsEvaluation:
    """When payment fell due under the payment regulation in force at signing (国务院令第728号 or
    第802号), the days overdue on ``as_of`` and the late interest to that day (integer fen), with
    the explanation in Chinese and English. Nothing is stored."""
    result = domain.evaluate(to_facts(body), body.as_of, platform_calendar())
    return evaluation_read(result, body.as_of)
