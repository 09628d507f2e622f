"""Every query of the respondents module: figures grouped by respondent in SQL, in the caller's
region (the case's place is the respondent's, 属地管理). No complainant contact is selected."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Row,
    and_,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.auth.principal import Principal
from sme_complaints.cases.domain import OPEN_STATUSES
from sme_complaints.cases.models import ComplaintCase
from sme_complaints.respondents.domain import SETTLED_OUTCOMES

C = ComplaintCase


def scope_clause(actor: Principal) -> ColumnElement[bool]:
    """Officers see the respondents of their region; the platform admin all of them."""
    return actor.region_scope().clause(C.region_code, C.reporting_unit_code)


def _const(sql: str) -> Any:
    """A constant written into the statement (not a bound parameter), so that the key in the
    select list and in GROUP BY is the same expression to PostgreSQL."""
    return literal_column(sql)


def _normalised_name() -> ColumnElement[str]:
    """``domain.normalised_name`` in SQL."""
    stripped = func.regexp_replace(C.respondent_name, _const(r"'\s+'"), _const("''"), _const("'g'"))
    return func.lower(func.translate(stripped, _const("'（）'"), _const("'()'")))


def key_expression() -> ColumnElement[str]:
    """``domain.respondent_key`` in SQL: the USCC, or ``n`` + md5(region|normalised name)."""
    return case(
        (C.respondent_uscc.is_not(None), C.respondent_uscc),
        else_=func.concat(
            _const("'n'"), func.md5(func.concat(C.region_code, _const("'|'"), _normalised_name()))
        ),
    )


KEY = key_expression().label("key")
_OUTCOME = C.outcome["outcome"].astext
_PAID = func.coalesce(cast(C.outcome["amount_paid_fen"].astext, BigInteger), 0)
_COUNTED = C.status != "not_accepted"


def _latest(column: Any) -> Any:
    """The value on the respondent's latest case (its name as last given)."""
    return array_agg(aggregate_order_by(column, C.created_at.desc(), C.id.desc()))[1]  # type: ignore[no-untyped-call]


def _figures() -> list[Any]:
    settled = and_(_COUNTED, _OUTCOME.in_(SETTLED_OUTCOMES))
    return [
        KEY,
        _latest(C.respondent_name).label("name"),
        func.max(C.respondent_uscc).label("uscc"),
        _latest(C.respondent_type).label("respondent_type"),
        _latest(C.region_code).label("region_code"),
        func.count().label("cases"),
        func.count().filter(C.status.in_([s.value for s in OPEN_STATUSES])).label("open_cases"),
        func.count().filter(settled).label("settled_cases"),
        func.count().filter(C.status == "closed").label("closed_cases"),
        func.count().filter(C.status == "not_accepted").label("not_accepted_cases"),
        func.count().filter(C.possible_duplicate_of.is_not(None)).label("possible_duplicates"),
        func.count(func.distinct(C.complainant_uscc)).label("complainants"),
        func.coalesce(func.sum(C.amount_owed_fen).filter(_COUNTED), 0).label("owed_fen"),
        func.coalesce(func.sum(_PAID).filter(settled), 0).label("paid_fen"),
        func.coalesce(
            func.sum(C.amount_owed_fen - _PAID).filter(_COUNTED, _OUTCOME == "repayment_agreement"),
            0,
        ).label("agreed_fen"),
        func.min(C.received_on).label("first_received_on"),
        func.max(C.received_on).label("last_received_on"),
    ]


def _repeat() -> ColumnElement[bool]:
    """Two cases or more, or one complainant more than once."""
    return (func.count() >= 2) | (func.count() > func.count(func.distinct(C.complainant_uscc)))


async def respondents(
    session: AsyncSession,
    actor: Principal,
    *,
    respondent_type: str | None,
    repeat_only: bool,
    after: str | None,
    limit: int,
) -> Sequence[Row[Any]]:
    query = select(*_figures()).where(scope_clause(actor)).group_by(KEY)
    if respondent_type is not None:
        query = query.where(C.respondent_type == respondent_type)
    if after is not None:
        query = query.where(key_expression() > after)
    if repeat_only:
        query = query.having(_repeat())
    query = query.order_by(KEY).limit(limit + 1)
    return (await session.execute(query)).all()


async def respondent(session: AsyncSession, actor: Principal, key: str) -> Row[Any] | None:
    query = select(*_figures()).where(scope_clause(actor), key_expression() == key).group_by(KEY)
    return (await session.execute(query)).one_or_none()


async def cases_of(session: AsyncSession, actor: Principal, key: str) -> Sequence[Row[Any]]:
    """The respondent's cases, oldest first (the complainant's USCC only to number the
    complainants; it is not shown)."""
    query = (
        select(
            C.id,
            C.status,
            C.received_on,
            C.amount_owed_fen,
            C.contract["signed_on"].astext.label("signed_on"),
            C.contract["amount_fen"].astext.label("contract_amount"),
            _OUTCOME.label("outcome"),
            C.outcome["amount_paid_fen"].astext.label("amount_paid"),
            C.outcome["resolved_on"].astext.label("resolved_on"),
            C.department_id,
            C.possible_duplicate_of,
            C.complainant_uscc,
        )
        .where(scope_clause(actor), key_expression() == key)
        .order_by(C.created_at, C.id)
    )
    return (await session.execute(query)).all()


async def disclosure_cases(
    session: AsyncSession, actor: Principal, *, year_end: date, respondent_type: str | None
) -> Sequence[Row[Any]]:
    """The cases a year's disclosure figures are computed from: accepted or still under review
    (not refused), not flagged as a possible duplicate of an earlier one, contract signed by the
    year's end; the respondent's key with each."""
    query = (
        select(
            KEY,
            C.id,
            C.respondent_name,
            C.respondent_uscc,
            C.respondent_type,
            C.region_code,
            C.created_at,
        )
        .add_columns(C.contract, C.amount_owed_fen, C.outcome)
        .where(
            scope_clause(actor),
            C.status != "not_accepted",
            C.possible_duplicate_of.is_(None),
            cast(C.contract["signed_on"].astext, Date) <= year_end,
        )
    )
    if respondent_type is not None:
        query = query.where(C.respondent_type == respondent_type)
    query = query.order_by(KEY, C.created_at)
    return (await session.execute(query)).all()
