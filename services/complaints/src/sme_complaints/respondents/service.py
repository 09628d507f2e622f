"""Respondent records and the yearly disclosure figures (信息披露), read from the cases in the
caller's region. Nothing here writes; no complainant contact is read."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sme_common import clock
from sme_common.auth import Principal
from sme_common.calendar import platform_calendar
from sme_common.db import Database, UnitOfWork
from sme_common.pagination import KeyCursor, split_page
from sme_common.problems import Resource, not_found
from sme_common.rules import RuleViolation
from sme_complaints.case_terms.service import contract_facts
from sme_complaints.respondents import domain, repository
from sme_complaints.respondents.schemas import (
    DisclosureDeadline,
    DisclosureFilters,
    DisclosureReport,
    DisclosureRow,
    RespondentCase,
    RespondentFigures,
    RespondentFilters,
    RespondentPage,
    RespondentRead,
)
from sme_complaints.terms import domain as terms

RESPONDENT = Resource("respondent", "respondent {key}", "被投诉人 {key}")
CURSOR = KeyCursor(domain.KEY, member="r")


def _figures(row: Any) -> RespondentFigures:
    owed, paid, agreed = int(row.owed_fen), int(row.paid_fen), int(row.agreed_fen)
    return RespondentFigures(
        key=row.key,
        name=row.name,
        uscc=row.uscc,
        respondent_type=domain.RespondentType(row.respondent_type),
        region_code=row.region_code,
        cases=row.cases,
        open_cases=row.open_cases,
        settled_cases=row.settled_cases,
        closed_cases=row.closed_cases,
        not_accepted_cases=row.not_accepted_cases,
        possible_duplicates=row.possible_duplicates,
        complainants=row.complainants,
        repeat=row.cases >= 2,
        repeat_by_same_complainant=row.cases > row.complainants,
        amount_owed_fen=owed,
        amount_paid_fen=paid,
        amount_under_agreement_fen=agreed,
        amount_outstanding_fen=max(0, owed - paid - agreed),
        first_received_on=row.first_received_on,
        last_received_on=row.last_received_on,
    )


async def list_respondents(
    database: Database, *, filters: RespondentFilters, actor: Principal
) -> RespondentPage:
    after = CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        rows = await repository.respondents(
            uow.session,
            actor,
            respondent_type=filters.respondent_type.value if filters.respondent_type else None,
            repeat_only=filters.repeat_only,
            after=after,
            limit=filters.limit,
        )
    page, last = split_page(rows, filters.limit)
    return RespondentPage(
        items=[_figures(r) for r in page],
        next_cursor=None if last is None else CURSOR.encode(last.key),
    )


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _int(value: str | None) -> int | None:
    return None if value is None else int(value)


async def get_respondent(database: Database, *, key: str, actor: Principal) -> RespondentRead:
    async with UnitOfWork(database) as uow:
        row = await repository.respondent(uow.session, actor, key)
        if row is None:
            raise not_found(RESPONDENT, key, field="key")
        case_rows = await repository.cases_of(uow.session, actor, key)
    numbers: dict[str, int] = {}
    cases = []
    for c in case_rows:
        number = numbers.setdefault(c.complainant_uscc, len(numbers) + 1)
        cases.append(
            RespondentCase(
                case_id=c.id,
                status=c.status,
                received_on=c.received_on,
                complainant_no=number,
                contract_signed_on=_day(c.signed_on),
                contract_amount_fen=_int(c.contract_amount),
                amount_owed_fen=c.amount_owed_fen,
                outcome=c.outcome,
                amount_paid_fen=_int(c.amount_paid),
                resolved_on=_day(c.resolved_on),
                department_id=c.department_id,
                possible_duplicate_of=c.possible_duplicate_of,
            )
        )
    return RespondentRead(figures=_figures(row), cases=cases)


# --- disclosure -------------------------------------------------------------------------------


def _deadlines(year: int, kind: domain.RespondentType | None) -> list[DisclosureDeadline]:
    rules = domain.disclosure_rules().rules
    return [
        DisclosureDeadline(
            respondent_type=rule.respondent_type,
            publish_by=rule.publish_by(year),
            channel_en=rule.channel_en,
            channel_zh=rule.channel_zh,
            article=rule.article,
            status=rule.status,
        )
        for rule in rules.values()
        if kind is None or rule.respondent_type is kind
    ]


def _paid_in_full_on(outcome: dict[str, Any] | None) -> date | None:
    if not outcome or outcome.get("outcome") != "paid_in_full":
        return None
    resolved = outcome.get("resolved_on")
    return date.fromisoformat(resolved) if isinstance(resolved, str) else None


async def overdue_disclosure(
    database: Database, *, filters: DisclosureFilters, actor: Principal
) -> DisclosureReport:
    """Each respondent's overdue contracts (count and amount) in the year, from the cases in the
    caller's region, with the day its kind of body must publish them by."""
    year = filters.year
    year_end = date(year, 12, 31)
    as_of = clock.business_today()
    rules = domain.disclosure_rules()
    async with UnitOfWork(database) as uow:
        rows = await repository.disclosure_cases(
            uow.session,
            actor,
            year_end=year_end,
            respondent_type=filters.respondent_type.value if filters.respondent_type else None,
        )
    by_key: dict[str, DisclosureRow] = {}
    for row in rows:
        kind = domain.RespondentType(row.respondent_type)
        rule = rules.rules[kind]
        item = by_key.get(row.key)
        if item is None:
            item = by_key[row.key] = DisclosureRow(
                key=row.key,
                name=row.respondent_name,
                uscc=row.respondent_uscc,
                respondent_type=kind,
                region_code=row.region_code,
                overdue_contracts=0,
                overdue_amount_fen=0,
                undetermined_contracts=0,
                publish_by=rule.publish_by(year),
                article=rule.article,
            )
        else:  # rows come oldest first: the name as last given
            item.name = row.respondent_name
        try:
            evaluation = terms.evaluate(
                contract_facts(row.contract, row.respondent_type, row.amount_owed_fen),
                year_end,
                platform_calendar(),
            )
        except RuleViolation:
            item.undetermined_contracts += 1
            continue
        if evaluation.due_on is None:
            continue  # acceptance still within its period at the year's end: not yet due
        if domain.overdue_in_year(evaluation.due_on, _paid_in_full_on(row.outcome), year):
            item.overdue_contracts += 1
            item.overdue_amount_fen += row.amount_owed_fen
    items = [i for i in by_key.values() if i.overdue_contracts or i.undetermined_contracts]
    return DisclosureReport(
        year=year,
        as_of=as_of,
        rules_version=rules.version,
        what_en=rules.what_en,
        what_zh=rules.what_zh,
        sources=list(rules.sources),
        deadlines=_deadlines(year, filters.respondent_type),
        items=items,
        total_overdue_contracts=sum(i.overdue_contracts for i in items),
        total_overdue_amount_fen=sum(i.overdue_amount_fen for i in items),
    )


CSV_COLUMNS = (
    "key",
    "name",
    "uscc",
    "respondent_type",
    "region_code",
    "overdue_contracts",
    "overdue_amount_fen",
    "undetermined_contracts",
    "publish_by",
    "article",
)


def disclosure_csv(report: DisclosureReport) -> bytes:
    """One row per respondent, then the total (UTF-8 with BOM, for spreadsheet programs)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in report.items:
        data = item.model_dump(mode="json")
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])
    writer.writerow(
        [
            "total",
            "",
            "",
            "",
            "",
            report.total_overdue_contracts,
            report.total_overdue_amount_fen,
            sum(i.undetermined_contracts for i in report.items),
            "",
            "",
        ]
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
