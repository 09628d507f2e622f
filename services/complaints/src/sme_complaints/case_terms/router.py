from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from sme_common.api import IdPath
from sme_common.auth import Principal
from sme_common.errors import problems
from sme_complaints.case_terms import service
from sme_complaints.case_terms.schemas import CasePaymentTerms, CasePaymentTermsQuery
from sme_complaints.dependencies import case_reader

router = APIRouter(tags=["payment-terms"])


@router.get(
    "/cases/{case_id}/payment-terms",
    response_model=CasePaymentTerms,
    responses=problems(404, codes={404: ("case_not_found",)}),
)
async def get_case_payment_terms(
    request: Request,
    case_id: IdPath,
    query: Annotated[CasePaymentTermsQuery, Query()],
    principal: Annotated[Principal, Depends(case_reader)],
) -> CasePaymentTerms:
    """The case's payment terms under the payment regulation in force at signing: the last day
    to pay, the days overdue on ``as_of`` (today by default) and the late interest (逾期利息) to
    that day, with the explanation in Chinese and English, from the case's contract facts and
    respondent type. For whoever may read the case, in their scope; no contact data. When the
    stored facts do not decide it (no delivery date, a rate outside the LPR table …) the answer
    says why (``determined: false``)."""
    return await service.case_payment_terms(
        request.app.state.database, case_id=case_id, as_of=query.as_of, actor=principal
    )
