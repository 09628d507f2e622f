"""Every query of list push. Who sees which snapshot is part of the WHERE; an institution's scope
(its 市州 and tiers) is SQL; entries are read with server-side cursors, in chunks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

import orjson
from psycopg import AsyncConnection
from sqlalchemy import and_, case, exists, func, literal, literal_column, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common.directory.models import enterprise_directory as directory
from sme_common.directory.models import enterprise_directory_people
from sme_common.directory.repository import flags_in_force_of
from sme_finance_matching.certified import repository as certified
from sme_finance_matching.certified.models import CertifiedEnterprise
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.lists.domain import ENTERPRISE_FIELDS
from sme_finance_matching.lists.models import (
    ListCursor,
    ListRead,
    ListRecipient,
    ListSigningKey,
    ListSnapshot,
    SnapshotAck,
    SnapshotEntry,
)

CHUNK = 5000
"""Rows fetched per round trip of a server-side cursor."""


def _serves(institution: Institution, unit: Any, tier: Any) -> Any:
    """The SQL form of ``domain.in_scope`` for one institution."""
    province = institution.province_code
    unit_clause = (
        literal(True)
        if province in institution.region_codes
        else unit.in_(institution.region_codes)
    )
    return and_(
        func.substr(unit, 1, 2) == province[:2],
        unit_clause,
        tier.in_(institution.tiers or ["-"]),
    )


# 金融顾问 first (seed 000 (十三): 建立金融顾问服务制度, the adviser banks deal with), then 服务专员.
_CONTACT_ROLES = {"financial_adviser": (0, "金融顾问"), "service_commissioner": (1, "服务专员")}


def _contact_of(uscc: Any) -> Any:
    """``name（role，organisation）phone`` of each person serving the enterprise, advisers first,
    joined by ``；``; NULL when registry has announced nobody."""
    person = (
        func.jsonb_array_elements(enterprise_directory_people.c.people)
        .table_valued("value")
        .alias("person")
    )
    field = person.c.value.op("->>")
    role = field("role")
    role_zh = case(
        *((role == name, label) for name, (_, label) in _CONTACT_ROLES.items()), else_=role
    )
    rank = case(*((role == name, order) for name, (order, _) in _CONTACT_ROLES.items()), else_=9)
    described = func.concat(
        field("name"),
        "（",
        func.concat_ws("，", role_zh, field("organisation")),
        "）",
        func.coalesce(field("phone"), ""),
    )
    return (
        select(
            func.string_agg(
                described, aggregate_order_by(literal_column("'；'"), rank, field("name"))
            )
        )
        # The function reads the row it is joined to (implicitly LATERAL in PostgreSQL).
        .select_from(enterprise_directory_people.join(person, true()))
        .where(enterprise_directory_people.c.uscc == uscc)
        .scalar_subquery()
    )


async def fill_entries(
    session: AsyncSession, *, snapshot_id: str, institution: Institution, today: date
) -> None:
    """Copy the institution's certified enterprises (valid today, in its scope, known to the
    directory) into the snapshot's entries, with what registry announced beside the entry: the
    latest size class, the contact through the people serving it and the credit flags in force
    today."""
    c, d = CertifiedEnterprise, directory.c
    ordinal = func.row_number().over(order_by=c.uscc)
    source = (
        select(
            literal(snapshot_id),
            ordinal,
            *certified.listed_columns(),
            _contact_of(c.uscc),
            flags_in_force_of(c.uscc, today),
        )
        .join(directory, d.uscc == c.uscc)
        .where(*certified.titled(today), _serves(institution, d.reporting_unit_code, c.tier))
    )
    columns = ["snapshot_id", "ordinal", *ENTERPRISE_FIELDS]
    await session.execute(insert(SnapshotEntry).from_select(columns, source))


async def remember_recipients(
    session: AsyncSession, *, snapshot_id: str, institution_id: str, at: datetime
) -> None:
    source = select(literal(institution_id), SnapshotEntry.uscc, literal(at)).where(
        SnapshotEntry.snapshot_id == snapshot_id
    )
    await session.execute(
        insert(ListRecipient)
        .from_select(["institution_id", "uscc", "first_received_at"], source)
        .on_conflict_do_nothing()
    )


async def stream_entries(session: AsyncSession, snapshot_id: str) -> AsyncIterator[list[Any]]:
    """The snapshot's entries in order, ``CHUNK`` rows at a time (a server-side cursor)."""
    columns = [getattr(SnapshotEntry, f) for f in ENTERPRISE_FIELDS]
    query = (
        select(*columns)
        .where(SnapshotEntry.snapshot_id == snapshot_id)
        .order_by(SnapshotEntry.ordinal)
        .execution_options(yield_per=CHUNK)
    )
    result = await session.stream(query)
    async for chunk in result.mappings().partitions(CHUNK):
        yield list(chunk)


async def stream_entry_texts(
    session: AsyncSession, snapshot_id: str
) -> AsyncIterator[list[Sequence[Any]]]:
    """The snapshot's entries in order as rows of ``ENTERPRISE_FIELDS`` with the dates as ISO
    text (``to_char``, whatever the server's DateStyle), ``CHUNK`` rows at a time: the cells of
    the XLSX sheet. Read as plain rows on the session's connection, without the ORM's row
    processing (a third of the CPU of ``stream_entries`` for 150,000 entries)."""
    columns = [
        func.to_char(column, "YYYY-MM-DD") if f.endswith("_on") else column
        for f, column in ((f, getattr(SnapshotEntry, f)) for f in ENTERPRISE_FIELDS)
    ]
    query = (
        select(*columns)
        .where(SnapshotEntry.snapshot_id == snapshot_id)
        .order_by(SnapshotEntry.ordinal)
        .execution_options(yield_per=CHUNK)
    )
    result = await (await session.connection()).stream(query)
    async for chunk in result.partitions(CHUNK):
        yield list(chunk)


def visible(*, institution_id: str | None, officer_where: Any) -> Any:
    """An institution's own snapshots; an officer's: those of the institutions it sees."""
    if institution_id is not None:
        return ListSnapshot.institution_id == institution_id
    return ListSnapshot.institution_id.in_(select(Institution.id).where(officer_where))


async def get(session: AsyncSession, snapshot_id: str, where: Any) -> ListSnapshot | None:
    query = select(ListSnapshot).where(ListSnapshot.id == snapshot_id, where)
    return (await session.scalars(query)).first()


async def find(
    session: AsyncSession, where: Any, *, institution_id: str | None, after: str | None, limit: int
) -> Sequence[ListSnapshot]:
    query = select(ListSnapshot).where(where)
    if institution_id is not None:
        query = query.where(ListSnapshot.institution_id == institution_id)
    if after is not None:
        query = query.where(ListSnapshot.id < after)
    return (await session.scalars(query.order_by(ListSnapshot.id.desc()).limit(limit + 1))).all()


async def acks(session: AsyncSession, snapshot_ids: Sequence[str]) -> dict[str, SnapshotAck]:
    rows = await session.scalars(
        select(SnapshotAck).where(SnapshotAck.snapshot_id.in_(snapshot_ids))
    )
    return {a.snapshot_id: a for a in rows}


async def has_period(session: AsyncSession, institution_id: str, period: str) -> bool:
    query = select(
        exists().where(ListSnapshot.institution_id == institution_id, ListSnapshot.period == period)
    )
    return bool((await session.execute(query)).scalar_one())


async def cursor(
    session: AsyncSession, institution_id: str, *, for_update: bool = False
) -> ListCursor | None:
    query = select(ListCursor).where(ListCursor.institution_id == institution_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


class DeltaRows(NamedTuple):
    """A page of deltas as the pull statement returns it: the position it starts after (the
    cursor sent, else the institution's acknowledged one, else 0), the last position it holds
    (``after`` when empty), whether more follow, and its changes as a JSON array (UTF-8)."""

    after: int
    last: int
    has_more: bool
    changes_json: bytes


class PullRequest(NamedTuple):
    """One pull as the batched statement takes it: the client, the kinds of institution its
    roles may act for, the cursor sent (None: the stored one), the page size, who and when."""

    client_id: str
    kinds: Sequence[str]
    after: int | None
    limit: int
    subject: str
    read_at: datetime


# A delta pull is the hot path of every bank's polling (issue 10: 100 institutions at once).
# The pulls in flight in a process are read and logged by one statement, in a transaction of its
# own (``Database.driver_statement``): for each, the client's institution with its cursor, the
# page after it from the institution's deliveries (an index range, decided when the changes were
# recorded: migration 0013), the read logged with the positions it covers, and the changes' JSON
# joined (rendered when they were recorded, the value of ``in_scope`` appended from the
# delivery), so that the service only wraps it. A client whose roles may not act for its
# institution's kind finds no institution: no row, nothing logged. Every step joins on the
# request's ordinal (``n``), so the work grows with the pulls and their pages, not their product.
_PULL = """
    WITH req AS (
        SELECT *
          FROM ROWS FROM (jsonb_to_recordset(%(pulls)s::jsonb)
                          AS (client_id text, kinds text, after bigint, lim int, subject text,
                              read_at timestamptz))
               WITH ORDINALITY AS r(client_id, kinds, after, lim, subject, read_at, n)
    ), puller AS (
        SELECT r.n, i.id, coalesce(r.after, lc.position, 0) AS after, r.lim, r.client_id,
               r.subject, r.read_at
          FROM req r
          JOIN institution_client ic ON ic.client_id = r.client_id
          JOIN institution i ON i.id = ic.institution_id
          LEFT JOIN list_cursor lc ON lc.institution_id = i.id
         WHERE i.kind = ANY(string_to_array(r.kinds, ','))
    ), page AS (
        SELECT p.n, x.seq, x.in_scope, x.rn
          FROM puller p
          CROSS JOIN LATERAL (
                SELECT ld.seq, ld.in_scope, row_number() OVER (ORDER BY ld.seq) AS rn
                  FROM list_delivery ld
                 WHERE ld.institution_id = p.id AND ld.seq > p.after
                 ORDER BY ld.seq
                 LIMIT p.lim + 1
          ) x
    ), fetched AS (
        SELECT n, count(*) AS rows FROM page GROUP BY n
    ), sent AS (
        SELECT pg.n, max(pg.seq) AS last, count(*) AS rows,
               '[' || string_agg(c.body || CASE WHEN pg.in_scope THEN 'true}' ELSE 'false}' END,
                                 ',' ORDER BY pg.seq) || ']' AS changes
          FROM page pg
          JOIN puller p ON p.n = pg.n
          JOIN list_change c ON c.seq = pg.seq
         WHERE pg.rn <= p.lim
         GROUP BY pg.n
    ), logged AS (
        INSERT INTO list_read (institution_id, kind, snapshot_id, format, rows, cursor_from,
                               cursor_to, client_id, subject, read_at)
        SELECT p.id, 'delta', NULL, 'json', coalesce(s.rows, 0), p.after,
               coalesce(s.last, p.after), p.client_id, p.subject, p.read_at
          FROM puller p LEFT JOIN sent s ON s.n = p.n
    )
    SELECT p.n, p.after, coalesce(s.last, p.after), coalesce(f.rows, 0) > p.lim,
           convert_to(coalesce(s.changes, '[]'), 'UTF8')
      FROM puller p
      LEFT JOIN sent s ON s.n = p.n
      LEFT JOIN fetched f ON f.n = p.n
"""


async def pull_pages(
    driver: AsyncConnection[Any], pulls: Sequence[PullRequest]
) -> list[DeltaRows | None]:
    """For each pull, in order: up to its ``limit`` changes queued for the client's institution
    after its ``after`` (or the stored cursor), the read logged; None for a client linked to no
    institution, or to one of a kind outside its ``kinds``."""
    # The pulls as one JSON parameter (one string to send, not six arrays to adapt element by
    # element), the changes as UTF-8 bytes in binary results (no decoding to text and encoding
    # back for the answer): the Python a pull costs is most of what a burst of pulls waits on.
    pulls_json = orjson.dumps(
        [
            {
                "client_id": p.client_id,
                "kinds": ",".join(p.kinds),
                "after": p.after,
                "lim": p.limit,
                "subject": p.subject,
                "read_at": p.read_at,
            }
            for p in pulls
        ]
    ).decode()
    cursor = await driver.execute(_PULL, {"pulls": pulls_json}, binary=True)
    found: list[DeltaRows | None] = [None] * len(pulls)
    for n, *rows in await cursor.fetchall():
        found[n - 1] = DeltaRows(*rows)
    return found


async def log_read(session: AsyncSession, **values: Any) -> None:
    session.add(ListRead(**values))


async def cursor_position(session: AsyncSession, institution_id: str) -> int | None:
    """The institution's acknowledged position (None before its first acknowledgement)."""
    query = select(ListCursor.position).where(ListCursor.institution_id == institution_id)
    return (await session.execute(query)).scalar_one_or_none()


async def reads(session: AsyncSession, institution_id: str) -> Sequence[ListRead]:
    query = select(ListRead).where(ListRead.institution_id == institution_id).order_by(ListRead.id)
    return (await session.scalars(query)).all()


async def signing_keys(session: AsyncSession) -> Sequence[ListSigningKey]:
    return (
        await session.scalars(select(ListSigningKey).order_by(ListSigningKey.first_used_at))
    ).all()


async def keep_signing_key(
    session: AsyncSession, *, key_id: str, public_key: str, at: datetime
) -> None:
    await session.execute(
        insert(ListSigningKey)
        .values(key_id=key_id, algorithm="EdDSA", public_key=public_key, first_used_at=at)
        .on_conflict_do_nothing()
    )


async def active_institution_ids(session: AsyncSession) -> set[str]:
    """Every active institution (the scheduled list push's recipients)."""
    query = select(Institution.id).where(Institution.status == "active")
    return set((await session.scalars(query)).all())
