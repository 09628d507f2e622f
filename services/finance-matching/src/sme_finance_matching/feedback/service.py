"""Feedback: institutions (their own client tokens) report what became of the enterprises and
needs pushed to them; officers read the reports of their region, an enterprise those on itself,
an institution its own. Every report is announced as ``finance-matching.loan.reported.v1``.

**Whom an institution may report on** (decided here): an enterprise of the directory in a 市州 it
serves (``institution.region_codes``; the tier is not checked, since the tier of an enterprise is
not known to this module: see ``certified/``), or a financing need it sees (addressed to it or
matched to one of its products; needs.repository.visible). Anything else is answered 404, as if it
did not exist: an institution learns nothing of enterprises and needs outside its reach.

The tier recorded with a report is the tier declared on the need; a report on the enterprise
alone has none (null).
"""

from __future__ import annotations

import re
import secrets
from decimal import Decimal
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal, RegionLevel, RegionScope
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.errors import Conflict, Forbidden
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import ENTERPRISE, Resource, not_found
from sme_common.rules import RuleViolation
from sme_finance_matching.feedback import domain, events, repository
from sme_finance_matching.feedback.domain import Terms
from sme_finance_matching.feedback.models import LoanFeedback
from sme_finance_matching.feedback.schemas import (
    FeedbackCreate,
    FeedbackFilters,
    FeedbackPage,
    FeedbackRead,
)
from sme_finance_matching.institutions import repository as institutions
from sme_finance_matching.institutions.domain import InstitutionKind
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.institutions.service import Viewer, viewer_of
from sme_finance_matching.needs import repository as needs
from sme_finance_matching.needs.domain import NeedStatus
from sme_finance_matching.needs.models import FinancingNeed
from sme_finance_matching.needs.service import NEED
from sme_finance_matching.products import repository as products

FEEDBACK = Resource("feedback", "feedback {key}", "反馈 {key}")
CURSOR = KeyCursor(re.compile(r"fb_[0-9a-f]{12}"), member="f")
_EVERYWHERE = RegionScope(RegionLevel.ALL)


def _six(ratio: Decimal | None) -> Decimal | None:
    """A ratio as the column keeps it (six decimals), so that the first answer and a replay read
    the same."""
    return None if ratio is None else ratio.quantize(Decimal("0.000001"))


def _visible(viewer: Viewer) -> Any:
    return repository.visible(scope=viewer.scope, institution_id=viewer.institution_id)


def feedback_read(feedback: LoanFeedback) -> FeedbackRead:
    return FeedbackRead.model_validate(feedback)


def _terms(command: FeedbackCreate) -> Terms:
    return Terms(
        outcome=command.outcome,
        uscc=command.uscc,
        need_id=command.need_id,
        outcome_on=command.outcome_on,
        amount_fen=command.amount_fen,
        annual_rate_ratio=command.annual_rate_ratio,
        term_months=command.term_months,
        guarantee_fee_ratio=command.guarantee_fee_ratio,
        product_id=command.product_id,
        first_time_borrower=command.first_time_borrower,
        refusal_reason_code=command.refusal_reason_code,
        refusal_reason=command.refusal_reason,
    )


def _institutions_only() -> Forbidden:
    return Forbidden(
        "institution_client_unknown",
        "Only an institution's own client reports feedback",
        "只有金融机构自己的客户端可以报送反馈",
        field="client_id",
    )


async def _need_for(
    session: AsyncSession, need_id: str, institution_id: str, uscc: str | None
) -> FinancingNeed:
    where = needs.visible(scope=_EVERYWHERE, institution_id=institution_id)
    need = await needs.get(session, need_id, where, for_update=True)
    if need is None:
        raise not_found(NEED, need_id, field="need_id")
    if uscc is not None and uscc != need.uscc:
        raise RuleViolation(
            "uscc_mismatch",
            f"Need {need_id} is not a need of {uscc}",
            f"融资需求 {need_id} 不属于企业 {uscc}",
            field="uscc",
        )
    return need


async def _place_of(session: AsyncSession, uscc: str, institution: Institution) -> tuple[str, str]:
    """(county, 市州) of an enterprise the institution may report on without a need: in the
    directory, in a 市州 (or the province) it serves."""
    row = await directory.get(session, uscc, _EVERYWHERE)
    if row is None or not (
        row.reporting_unit_code in institution.region_codes
        or (
            institution.province_code in institution.region_codes
            and row.reporting_unit_code.startswith(institution.province_code[:2])
        )
    ):
        raise not_found(ENTERPRISE, uscc, field="uscc")
    return row.region_code, row.reporting_unit_code


async def _check_product(session: AsyncSession, product_id: str, institution_id: str) -> None:
    product = await products.get(session, product_id)
    if product is None or product.institution_id != institution_id:
        raise RuleViolation(
            "product_unknown",
            f"{product_id} is not one of your credit products",
            f"{product_id} 不是本机构的信贷产品",
            field="product_id",
        )


def _conflict(external_id: str) -> Conflict:
    return Conflict(
        "feedback_conflict",
        f"Report {external_id} was posted before with other content",
        f"反馈 {external_id} 已以不同内容报送",
        field="external_id",
    )


async def report(database: Database, *, command: FeedbackCreate, actor: Principal) -> JSONResponse:
    """Record an outcome (201), or answer the report already recorded under the same
    ``external_id`` (200; 409 ``feedback_conflict`` if its content differs)."""
    terms = _terms(command)
    fingerprint = terms.fingerprint()
    now = clock.now()
    async with UnitOfWork(database) as uow:
        session = uow.session
        viewer = await viewer_of(session, actor)
        if viewer.institution_id is None:
            raise _institutions_only()
        institution = await institutions.get(session, viewer.institution_id)
        assert institution is not None  # viewer_of found it
        kind = InstitutionKind(institution.kind)
        await repository.lock_reference(session, institution.id, command.external_id)
        earlier = await repository.by_reference(session, institution.id, command.external_id)
        if earlier is not None:
            if earlier.fingerprint != fingerprint:
                raise _conflict(command.external_id)
            return JSONResponse(feedback_read(earlier).model_dump(mode="json"), status_code=200)
        today = clock.business_day(now)
        domain.check_terms(terms, kind, today=today)
        if command.need_id is None and command.uscc is None:
            raise RuleViolation(
                "uscc_required",
                "Name the enterprise (uscc) or the financing need (need_id) reported on",
                "请填写所反馈的企业统一社会信用代码或融资需求编号",
                field="uscc",
            )
        need: FinancingNeed | None = None
        tier: str | None = None
        if command.need_id is not None:
            need = await _need_for(session, command.need_id, institution.id, command.uscc)
            uscc, region_code, unit_code, tier = (
                need.uscc,
                need.region_code,
                need.reporting_unit_code,
                need.tier,
            )
        else:
            assert command.uscc is not None
            uscc = command.uscc
            region_code, unit_code = await _place_of(session, uscc, institution)
        if command.product_id is not None:
            await _check_product(session, command.product_id, institution.id)
        need_status: str | None = None
        if need is not None:
            path = domain.need_path(NeedStatus(need.status), command.outcome)
            if path:
                need.status = path[-1].value
                need.version += 1
                need.updated_at, need.updated_by = now, actor.subject
            need_status = need.status
        feedback = LoanFeedback(
            id=f"fb_{secrets.token_hex(6)}",
            institution_id=institution.id,
            institution_kind=kind.value,
            external_id=command.external_id,
            fingerprint=fingerprint,
            uscc=uscc,
            need_id=None if need is None else need.id,
            region_code=region_code,
            reporting_unit_code=unit_code,
            tier=tier,
            outcome=command.outcome.value,
            outcome_on=command.outcome_on or today,
            amount_fen=command.amount_fen,
            annual_rate_ratio=_six(command.annual_rate_ratio),
            term_months=command.term_months,
            guarantee_fee_ratio=_six(command.guarantee_fee_ratio),
            product_id=command.product_id,
            first_time_borrower=command.first_time_borrower,
            refusal_reason_code=(
                None if command.refusal_reason_code is None else command.refusal_reason_code.value
            ),
            refusal_reason=command.refusal_reason,
            need_status=need_status,
            reported_at=now,
            reported_by=actor.subject,
        )
        session.add(feedback)
        await uow.flush()
        uow.publish(events.LOAN_TOPIC, events.loan_event(events.reported(feedback)))
        body = feedback_read(feedback).model_dump(mode="json")
        await uow.commit()
        return JSONResponse(body, status_code=201)


async def get_feedback(database: Database, *, feedback_id: str, actor: Principal) -> FeedbackRead:
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        feedback = await repository.get(uow.session, feedback_id, _visible(viewer))
        if feedback is None:
            raise not_found(FEEDBACK, feedback_id, field="feedback_id")
        return feedback_read(feedback)


async def list_feedback(
    database: Database, *, filters: FeedbackFilters, actor: Principal
) -> FeedbackPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        rows = await repository.find(uow.session, _visible(viewer), filters, after=after)
        page, last = split_page(rows, filters.limit)
        return FeedbackPage(
            items=[feedback_read(f) for f in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )
