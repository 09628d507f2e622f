"""Payment terms and late interest shown on a case (逾期利息): the case's own contract facts and
respondent type through ``terms.domain.evaluate``, for whoever may read the case. Nothing is
stored; the complainant's contact is not read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sme_common import clock
from sme_common.auth import Principal
from sme_common.calendar import platform_calendar
from sme_common.db import Database, UnitOfWork
from sme_common.rules import RuleViolation
from sme_complaints.case_terms.schemas import CaseContractFacts, CasePaymentTerms
from sme_complaints.cases.models import ComplaintCase
from sme_complaints.cases.service import case_in_scope
from sme_complaints.terms import domain
from sme_complaints.terms.schemas import ExplanationLine, evaluation_read


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def contract_facts(
    contract: dict[str, Any], respondent_type: str, amount_owed_fen: int
) -> domain.ContractFacts:
    """The rules' facts from the case: payment runs from acceptance when the case records one
    (检验/验收合格), otherwise from delivery; the agreed daily rate becomes the annual percent the
    rules take (× 360 × 100, undone by their ÷ 360)."""
    accepted_on = _day(contract.get("accepted_on"))
    rate = contract.get("agreed_rate")
    days = contract.get("agreed_payment_days")
    return domain.ContractFacts(
        respondent_type=domain.RespondentType(respondent_type),
        signed_on=date.fromisoformat(contract["signed_on"]),
        payment_basis=(
            domain.PaymentBasis.ACCEPTANCE
            if accepted_on is not None
            else domain.PaymentBasis.DELIVERY
        ),
        amount_owed_fen=amount_owed_fen,
        delivered_on=_day(contract.get("delivered_on")),
        accepted_on=accepted_on,
        agreed_term_days=days if isinstance(days, int) else None,
        agreed_annual_rate_percent=None if rate is None else _annual_percent(Decimal(str(rate))),
    )


def _annual_percent(daily: Decimal) -> Decimal:
    value = (daily * domain.DAY_COUNT_BASIS * 100).normalize()
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def evaluate_case(case: ComplaintCase, as_of: date) -> CasePaymentTerms:
    """The rules on the case's facts; facts that do not let them decide are said, not guessed."""
    facts = contract_facts(case.contract, case.respondent_type, case.amount_owed_fen)
    notes = [
        ExplanationLine(
            code="amount_as_complained",
            en="Interest runs on the amount owed as complained at intake; payments recorded at "
            "the resolution are not deducted",
            zh="逾期利息按投诉时的拖欠金额计算，未扣除办结时记录的已支付金额",
        )
    ]
    if facts.agreed_annual_rate_percent is not None:
        notes.append(
            ExplanationLine(
                code="agreed_daily_rate_as_annual",
                en=f"The agreed daily rate {case.contract.get('agreed_rate')} is "
                f"{facts.agreed_annual_rate_percent}% a year (× {domain.DAY_COUNT_BASIS})",
                zh=f"约定日利率 {case.contract.get('agreed_rate')} 折合年利率 "
                f"{facts.agreed_annual_rate_percent}%（× {domain.DAY_COUNT_BASIS}）",
            )
        )
    read_facts = CaseContractFacts(
        respondent_type=facts.respondent_type,
        contract_signed_on=facts.signed_on,
        payment_basis=facts.payment_basis,
        delivered_on=facts.delivered_on,
        accepted_on=facts.accepted_on,
        agreed_term_days=facts.agreed_term_days,
        agreed_annual_rate_percent=facts.agreed_annual_rate_percent,
        amount_owed_fen=facts.amount_owed_fen,
    )
    try:
        result = domain.evaluate(facts, as_of, platform_calendar())
    except RuleViolation as why:
        return CasePaymentTerms(
            case_id=case.id,
            as_of=as_of,
            facts=read_facts,
            determined=False,
            evaluation=None,
            not_determined=ExplanationLine(code=why.code, en=why.detail, zh=why.detail_zh),
            notes=notes,
        )
    return CasePaymentTerms(
        case_id=case.id,
        as_of=as_of,
        facts=read_facts,
        determined=True,
        evaluation=evaluation_read(result, as_of),
        not_determined=None,
        notes=notes,
    )


async def case_payment_terms(
    database: Database, *, case_id: str, as_of: date | None, actor: Principal
) -> CasePaymentTerms:
    day = as_of or clock.business_today()
    async with UnitOfWork(database) as uow:
        case = await case_in_scope(uow.session, case_id, actor)
        return evaluate_case(case, day)
