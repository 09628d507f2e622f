"""Financing needs: filed for an enterprise (by itself or an officer of its region), matched to
the credit-product catalogue, seen by the institutions addressed or matched and by no other.

Matching runs when a need is filed or changed: every active product (of the addressed
institutions only, when the need names some) is scored (``domain.rank``); the eligible ones are
kept in ``need_match`` (what lets their institutions see the need) and the need moves open ⇄
matched. ``GET …/matches`` scores again, live, with the reasons."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.directory import repository as directory
from sme_common.idempotency import IdempotencyKey, Outcome, run_once
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, enterprise_in_scope, expect_version, not_found
from sme_common.reference.industries import IndustryCatalog, IndustryCodeError
from sme_common.rules import RuleViolation
from sme_finance_matching.institutions import repository as institutions
from sme_finance_matching.institutions.service import Viewer, viewer_of
from sme_finance_matching.needs import domain, events, repository
from sme_finance_matching.needs.domain import NeedStatus, Weights
from sme_finance_matching.needs.events import NEED_TOPIC, need_event
from sme_finance_matching.needs.models import FinancingNeed
from sme_finance_matching.needs.schemas import (
    CriterionRead,
    MatchList,
    MatchRead,
    NeedCreate,
    NeedFilters,
    NeedPage,
    NeedRead,
    NeedUpdate,
)
from sme_finance_matching.products import repository as products
from sme_finance_matching.products.models import CreditProduct

NEED = Resource("need", "financing need {key}", "融资需求 {key}")
CURSOR = KeyCursor(re.compile(r"need_[0-9a-f]{12}"), member="n")


def _visible(viewer: Viewer) -> Any:
    return repository.visible(scope=viewer.scope, institution_id=viewer.institution_id)


def need_read(need: FinancingNeed, viewer: Viewer) -> NeedRead:
    """The need as ``viewer`` may read it: an institution learns of no other institution."""
    addressed = list(need.addressed_institution_ids)
    if viewer.is_institution:
        addressed = [i for i in addressed if i == viewer.institution_id]
    return NeedRead.model_validate(
        {
            **{c: getattr(need, c) for c in NeedRead.model_fields if hasattr(need, c)},
            "addressed_institution_ids": addressed,
        }
    )


def industry_section(industry_code: str | None) -> str | None:
    """The GB/T 4754 section (门类) of an industry code, None when absent or unknown."""
    if not industry_code:
        return None
    try:
        return IndustryCatalog.load().section_for(industry_code).code
    except IndustryCodeError:
        return None


async def profile(session: AsyncSession, need: FinancingNeed) -> domain.NeedProfile:
    """The need as matching reads it. The size class is the one registry last decided (划型 under
    工信部联企业〔2011〕300号, from the enterprise's filed figures) when it has decided one; the
    class the need declares stands only until then (a product for small and medium enterprises
    should not be offered on a declaration registry's figures contradict)."""
    decided = await directory.latest_size_class(session, need.uscc)
    size_class = decided.size_class if decided is not None and decided.size_class else None
    return domain.NeedProfile(
        amount_fen=need.amount_fen,
        term_months=need.term_months,
        province_code=need.region_code[:2] + "0000",
        reporting_unit_code=need.reporting_unit_code,
        industry_section=industry_section(need.industry_code),
        tier=need.tier,
        size_class=size_class or need.size_class,
    )


def terms(product: CreditProduct) -> domain.ProductTerms:
    return domain.ProductTerms(
        product_id=product.id,
        institution_id=product.institution_id,
        min_amount_fen=product.min_amount_fen,
        max_amount_fen=product.max_amount_fen,
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        eligible_tiers=tuple(product.eligible_tiers),
        eligible_industry_sections=tuple(product.eligible_industry_sections),
        eligible_region_codes=tuple(product.eligible_region_codes),
        eligible_size_classes=tuple(product.eligible_size_classes),
    )


async def rematch(uow: UnitOfWork, need: FinancingNeed, now: datetime) -> list[domain.Match]:
    """Score the catalogue against the need, keep its eligible products, move open ⇄ matched,
    and announce ``finance-matching.need.matched.v1`` when the eligible products are not none and
    not the same as before. The caller's unit of work commits (a list or feedback helper may call
    it after a product changes)."""
    session = uow.session
    weights = Weights.load()
    before = await repository.matched_products(session, need.id)
    catalogue = await products.catalogue(session)
    ranked = domain.rank(
        await profile(session, need),
        [terms(p) for p in catalogue],
        weights,
        addressed=tuple(need.addressed_institution_ids),
    )
    eligible = [m for m in ranked if m.eligible]
    await repository.replace_matches(
        session,
        need.id,
        [(m.product_id, m.institution_id, m.score) for m in eligible],
        weights_version=weights.version,
        matched_at=now,
    )
    need.status = domain.status_after_matching(NeedStatus(need.status), len(eligible)).value
    if eligible and {m.product_id for m in eligible} != before:
        uow.publish(
            NEED_TOPIC,
            need_event(
                events.matched(
                    need_id=need.id,
                    uscc=need.uscc,
                    amount_fen=need.amount_fen,
                    term_months=need.term_months,
                    matches=eligible,
                    weights_version=weights.version,
                    matched_at=now,
                )
            ),
        )
    return ranked


async def _check_addressed(session: AsyncSession, institution_ids: Sequence[str]) -> list[str]:
    wanted = sorted(set(institution_ids))
    active = await institutions.active_ids(session, wanted)
    for institution_id in wanted:
        if institution_id not in active:
            raise RuleViolation(
                "institution_unknown",
                f"{institution_id} is not an active institution",
                f"{institution_id} 不是在册的金融机构",
                field="addressed_institution_ids",
            )
    return wanted


async def create_need(
    database: Database,
    *,
    command: NeedCreate,
    actor: Principal,
    idempotency: IdempotencyKey | None,
) -> Outcome:
    uscc = command.uscc or actor.uscc
    if uscc is None:
        raise RuleViolation(
            "uscc_required",
            "Name the enterprise the need is filed for",
            "请填写提出融资需求的企业统一社会信用代码",
            field="uscc",
        )
    now = clock.now()

    async def operation(uow: UnitOfWork) -> tuple[int, object]:
        viewer = await viewer_of(uow.session, actor)
        enterprise = await enterprise_in_scope(directory.get, uow.session, uscc, actor)
        addressed = await _check_addressed(uow.session, command.addressed_institution_ids)
        need = FinancingNeed(
            id=f"need_{secrets.token_hex(6)}",
            uscc=uscc,
            region_code=enterprise.region_code,
            reporting_unit_code=enterprise.reporting_unit_code,
            industry_code=enterprise.industry_code,
            tier=None if command.tier is None else command.tier.value,
            size_class=None if command.size_class is None else command.size_class.value,
            amount_fen=command.amount_fen,
            purpose=command.purpose,
            term_months=command.term_months,
            collateral=command.collateral.value,
            urgency=command.urgency.value,
            addressed_institution_ids=addressed,
            status=NeedStatus.OPEN.value,
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(need)
        await uow.flush()
        await rematch(uow, need, now)
        await uow.flush()
        return 201, need_read(need, viewer).model_dump(mode="json")

    return await run_once(database, idempotency, operation)


async def _need_in_view(
    session: AsyncSession, need_id: str, viewer: Viewer, *, for_update: bool = False
) -> FinancingNeed:
    need = await repository.get(session, need_id, _visible(viewer), for_update=for_update)
    if need is None:
        raise not_found(NEED, need_id, field="need_id")
    return need


async def get_need(database: Database, *, need_id: str, actor: Principal) -> NeedRead:
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        return need_read(await _need_in_view(uow.session, need_id, viewer), viewer)


async def list_needs(database: Database, *, filters: NeedFilters, actor: Principal) -> NeedPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        rows = await repository.find(uow.session, _visible(viewer), filters, after=after)
        page, last = split_page(rows, filters.limit)
        return NeedPage(
            items=[need_read(n, viewer) for n in page],
            next_cursor=None if last is None else CURSOR.encode(last.id),
        )


_ENUMS = ("collateral", "urgency", "tier", "size_class")


async def update_need(
    database: Database, *, need_id: str, command: NeedUpdate, actor: Principal
) -> NeedRead:
    """Change a need before an institution takes it up, or withdraw it; matching runs again."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        need = await _need_in_view(uow.session, need_id, viewer, for_update=True)
        expect_version(NEED, need_id, current=need.version, sent=command.version)
        changes = {
            k: getattr(command, k)
            for k in command.model_fields_set
            if k != "version" and getattr(command, k) is not None
        }
        current = NeedStatus(need.status)
        wanted = changes.pop("status", None)
        if wanted is not None and wanted != current:
            if wanted not in domain.FILER_STATUSES:
                raise RuleViolation(
                    "need_transition_not_allowed",
                    f"The filer may only withdraw a need, not make it {wanted}",
                    f"提出方只能撤回融资需求，不能将其设为“{wanted}”",
                    field="status",
                )
            domain.check_status_change(current, wanted)
        if changes:
            domain.check_editable(current)
        if "addressed_institution_ids" in changes:
            changes["addressed_institution_ids"] = await _check_addressed(
                uow.session, changes["addressed_institution_ids"]
            )
        for name in _ENUMS:
            if name in changes:
                changes[name] = changes[name].value
        changed = {k: v for k, v in changes.items() if getattr(need, k) != v}
        withdrawn = wanted is NeedStatus.WITHDRAWN and current is not NeedStatus.WITHDRAWN
        if changed or withdrawn:
            for key, value in changed.items():
                setattr(need, key, value)
            if withdrawn:
                need.status = NeedStatus.WITHDRAWN.value
            elif changed:
                await rematch(uow, need, now)
            need.version += 1
            need.updated_at, need.updated_by = now, actor.subject
            await uow.flush()
            await uow.commit()
        return need_read(need, viewer)


async def list_matches(database: Database, *, need_id: str, actor: Principal) -> MatchList:
    """The need scored against the catalogue now, with each criterion's reason; an institution
    sees its own products' scores only."""
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        need = await _need_in_view(uow.session, need_id, viewer)
        weights = Weights.load()
        catalogue = await products.catalogue(
            uow.session,
            institution_ids=None if viewer.institution_id is None else [viewer.institution_id],
        )
        names = {p.id: p.name for p in catalogue}
        ranked = domain.rank(
            await profile(uow.session, need),
            [terms(p) for p in catalogue],
            weights,
            addressed=tuple(need.addressed_institution_ids),
        )
        return MatchList(
            need_id=need.id,
            weights_version=weights.version,
            items=[
                MatchRead(
                    product_id=m.product_id,
                    institution_id=m.institution_id,
                    product_name=names[m.product_id],
                    score=m.score,
                    eligible=m.eligible,
                    criteria=[
                        CriterionRead(
                            name=c.name,
                            met=c.met,
                            points=c.points,
                            max_points=c.max_points,
                            reason=c.reason,
                            reason_zh=c.reason_zh,
                        )
                        for c in m.criteria
                    ],
                )
                for m in ranked
            ],
        )
