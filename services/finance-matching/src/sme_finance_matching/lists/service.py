"""List push (名单推送, seed 000 (十三)): immutable snapshots per institution of the certified
enterprises in its scope (its 市州 and tiers, valid certificates) with the credit-product
catalogue, a signed manifest, streamed content in four formats, deltas after the institution's
cursor, acknowledgements, and a log of every read.

Officers (of the region the institution serves) may make and read snapshots; an institution's
client only its own. Deltas and acknowledgements are the institution's."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import re
import secrets
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.contracts.events.finance_matching.models import SnapshotPublishedV1
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict, Forbidden, InvalidInput
from sme_common.pagination import KeyCursor, PositionCursor, split_page
from sme_common.problems import Resource, not_found
from sme_common.xlsx import XlsxStream
from sme_finance_matching.certified import repository as certified
from sme_finance_matching.institutions import repository as institutions
from sme_finance_matching.institutions.domain import InstitutionKind, role_may_act_for
from sme_finance_matching.institutions.models import Institution
from sme_finance_matching.institutions.service import (
    _PEOPLE,
    INSTITUTION,
    Viewer,
    client_unknown,
    viewer_of,
)
from sme_finance_matching.lists import domain, repository
from sme_finance_matching.lists.domain import (
    ENTERPRISE_FIELDS,
    PRODUCT_FIELDS,
    Format,
    Schedule,
    Trigger,
)
from sme_finance_matching.lists.events import SNAPSHOT_TOPIC, snapshot_event
from sme_finance_matching.lists.models import ListCursor, ListSnapshot, SnapshotAck
from sme_finance_matching.lists.schemas import (
    CursorRead,
    DeltaAck,
    DeltaQuery,
    Manifest,
    SigningKeys,
    SnapshotCreate,
    SnapshotFilters,
    SnapshotPage,
    SnapshotRead,
)
from sme_finance_matching.lists.signing import ListSigner, jwk
from sme_finance_matching.products import repository as products

log = structlog.get_logger(__name__)
SNAPSHOT = Resource("snapshot", "list snapshot {key}", "名单快照 {key}")
SNAPSHOT_CURSOR = KeyCursor(re.compile(r"snap_[0-9a-f]{16}"), member="s")
DELTA_CURSOR = PositionCursor()
SCHEDULER = "system:lists-publish"
MEDIA_TYPES = {
    Format.JSON: "application/json",
    Format.NDJSON: "application/x-ndjson",
    Format.CSV: "text/csv; charset=utf-8",
    Format.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _institution_only() -> Forbidden:
    return Forbidden(
        "institution_client_required",
        "Only an institution's own client reads deltas and acknowledges lists",
        "仅金融机构本身的客户端可读取增量并确认名单",
        field="client_id",
    )


# --- snapshots ------------------------------------------------------------------------------


def _product_row(product: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in PRODUCT_FIELDS:
        value = getattr(product, field)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, list):
            value = list(value)
        row[field] = value
    return row


def _read(snapshot: ListSnapshot, ack: SnapshotAck | None) -> SnapshotRead:
    return SnapshotRead(
        id=snapshot.id,
        institution_id=snapshot.institution_id,
        trigger=Trigger(snapshot.trigger),
        period=snapshot.period,
        generated_at=snapshot.generated_at,
        entry_count=snapshot.entry_count,
        product_count=snapshot.product_count,
        manifest=Manifest.model_validate_json(snapshot.manifest),
        manifest_canonical=snapshot.manifest,
        signature=snapshot.signature,
        acknowledged_at=None if ack is None else ack.acknowledged_at,
        acknowledged_by=None if ack is None else ack.acknowledged_by,
    )


async def _target(session: AsyncSession, viewer: Viewer, institution_id: str | None) -> Institution:
    """The institution a snapshot is made for: the client's own, or one the officer sees."""
    if viewer.is_institution:
        if institution_id is not None and institution_id != viewer.institution_id:
            raise not_found(INSTITUTION, institution_id, field="institution_id")
        institution_id = viewer.institution_id
    if institution_id is None:
        raise InvalidInput(
            "institution_id_required",
            "Name the institution the snapshot is for",
            "请指定名单快照所属的金融机构",
            field="institution_id",
        )
    where = institutions.visible(
        None if viewer.is_institution else viewer.scope, viewer.institution_id
    )
    institution = await institutions.get(session, institution_id, where)
    if institution is None:
        raise not_found(INSTITUTION, institution_id, field="institution_id")
    if institution.status != "active":
        raise Conflict(
            "institution_not_active",
            f"Institution {institution_id} is not active: it is sent no lists",
            f"金融机构 {institution_id} 未处于有效状态，不推送名单",
            field="institution_id",
        )
    return institution


async def _make(
    uow: UnitOfWork,
    institution: Institution,
    *,
    trigger: Trigger,
    period: str | None,
    requested_by: str,
    signer: ListSigner,
) -> ListSnapshot:
    """Fill, hash, sign and store one snapshot, and publish it (in the caller's transaction)."""
    session = uow.session
    await certified.lock_for_snapshot(session)
    position = await certified.head(session)
    now = clock.now()
    snapshot_id = f"snap_{secrets.token_hex(8)}"
    await repository.fill_entries(
        session, snapshot_id=snapshot_id, institution=institution, today=clock.business_today()
    )
    await repository.remember_recipients(
        session, snapshot_id=snapshot_id, institution_id=institution.id, at=now
    )
    catalogue = [_product_row(p) for p in await products.catalogue(session)]
    digest, count = domain.new_digest(), 0
    async for chunk in repository.stream_entries(session, snapshot_id):
        count += len(chunk)
        digest.update(b"".join(domain.enterprise_line(row) for row in chunk))
    for product in catalogue:
        digest.update(domain.product_line(product))
    manifest = Manifest(
        manifest_version=domain.MANIFEST_VERSION,
        snapshot_id=snapshot_id,
        institution_id=institution.id,
        trigger=trigger,
        generated_at=now.isoformat(),
        cursor=DELTA_CURSOR.encode(position),
        position=position,
        entry_count=count,
        product_count=len(catalogue),
        content_sha256=digest.hexdigest(),
        content_format="ndjson",
        key_id=signer.key_id,
        algorithm="EdDSA",
    )
    canonical = domain.canonical_manifest(manifest.model_dump(mode="json"))
    snapshot = ListSnapshot(
        id=snapshot_id,
        institution_id=institution.id,
        trigger=trigger.value,
        period=period,
        requested_by=requested_by,
        generated_at=now,
        cursor_position=position,
        entry_count=count,
        product_count=len(catalogue),
        content_sha256=manifest.content_sha256,
        manifest=canonical.decode(),
        signature=signer.sign(canonical),
        key_id=signer.key_id,
        products=catalogue,
    )
    session.add(snapshot)
    await repository.keep_signing_key(
        session, key_id=signer.key_id, public_key=signer.public_jwk()["x"], at=now
    )
    await uow.flush()
    uow.publish(
        SNAPSHOT_TOPIC,
        snapshot_event(
            SnapshotPublishedV1(
                snapshot_id=snapshot_id,
                institution_id=institution.id,
                trigger=trigger.value,
                entry_count=count,
                product_count=len(catalogue),
                cursor=position,
                content_sha256=manifest.content_sha256,
                generated_at=now,
            )
        ),
    )
    return snapshot


async def create_snapshot(
    database: Database, *, command: SnapshotCreate, actor: Principal, signer: ListSigner
) -> SnapshotRead:
    """On demand: by an officer of the institution's region or by the institution's client."""
    async with UnitOfWork(database) as uow:
        viewer = await viewer_of(uow.session, actor)
        if viewer.is_enterprise:
            raise _institution_only()
        institution = await _target(uow.session, viewer, command.institution_id)
        snapshot = await _make(
            uow,
            institution,
            trigger=Trigger.ON_DEMAND,
            period=None,
            requested_by=actor.subject,
            signer=signer,
        )
        read = _read(snapshot, None)
        await uow.commit()
        return read


@dataclass(frozen=True)
class PublishReport:
    period: str | None
    published: list[str]
    skipped: int


async def publish_due(
    database: Database, *, schedule: Schedule, signer: ListSigner
) -> PublishReport:
    """The scheduled run: every active institution without a snapshot for the current period
    gets one (each in its own transaction; a concurrent run's snapshot wins, once per period)."""
    period = domain.period_of(clock.business_today(), schedule)
    if period is None:
        return PublishReport(None, [], 0)
    async with UnitOfWork(database) as uow:
        ids = sorted(await repository.active_institution_ids(uow.session))
    published: list[str] = []
    skipped = 0
    for institution_id in ids:
        async with UnitOfWork(database) as uow:
            if await repository.has_period(uow.session, institution_id, period):
                skipped += 1
                continue
            institution = await institutions.get(uow.session, institution_id)
            if institution is None or institution.status != "active":
                continue
            try:
                snapshot = await _make(
                    uow,
                    institution,
                    trigger=Trigger.SCHEDULED,
                    period=period,
                    requested_by=SCHEDULER,
                    signer=signer,
                )
                await uow.commit()
            except IntegrityError:
                skipped += 1
                continue
            published.append(snapshot.id)
    return PublishReport(period, published, skipped)


async def _viewer_where(session: AsyncSession, actor: Principal) -> tuple[Viewer, Any]:
    viewer = await viewer_of(session, actor)
    if viewer.is_enterprise:
        raise _institution_only()
    officer = None if viewer.is_institution else institutions.officer_clause(viewer.scope)
    return viewer, repository.visible(institution_id=viewer.institution_id, officer_where=officer)


async def list_snapshots(
    database: Database, *, filters: SnapshotFilters, actor: Principal
) -> SnapshotPage:
    before = SNAPSHOT_CURSOR.after(filters.cursor)
    async with UnitOfWork(database) as uow:
        _, where = await _viewer_where(uow.session, actor)
        rows = await repository.find(
            uow.session,
            where,
            institution_id=filters.institution_id,
            after=before,
            limit=filters.limit,
        )
        page, last = split_page(rows, filters.limit)
        acks = await repository.acks(uow.session, [s.id for s in page])
        return SnapshotPage(
            items=[_read(s, acks.get(s.id)) for s in page],
            next_cursor=None if last is None else SNAPSHOT_CURSOR.encode(last.id),
        )


async def _visible_snapshot(
    session: AsyncSession, actor: Principal, snapshot_id: str
) -> tuple[Viewer, ListSnapshot]:
    viewer, where = await _viewer_where(session, actor)
    snapshot = await repository.get(session, snapshot_id, where)
    if snapshot is None:
        raise not_found(SNAPSHOT, snapshot_id, field="snapshot_id")
    return viewer, snapshot


async def get_snapshot(database: Database, *, snapshot_id: str, actor: Principal) -> SnapshotRead:
    async with UnitOfWork(database) as uow:
        _, snapshot = await _visible_snapshot(uow.session, actor, snapshot_id)
        acks = await repository.acks(uow.session, [snapshot.id])
        return _read(snapshot, acks.get(snapshot.id))


async def open_content(
    database: Database, *, snapshot_id: str, fmt: Format, actor: Principal
) -> ListSnapshot:
    """Check the caller may read the snapshot and log the read (committed before the content
    streams: a read that fails half-way is still on the log)."""
    async with UnitOfWork(database) as uow:
        _, snapshot = await _visible_snapshot(uow.session, actor, snapshot_id)
        await repository.log_read(
            uow.session,
            institution_id=snapshot.institution_id,
            kind="snapshot",
            snapshot_id=snapshot.id,
            format=fmt.value,
            rows=snapshot.entry_count + snapshot.product_count,
            cursor_from=None,
            cursor_to=snapshot.cursor_position,
            client_id=actor.client_id,
            subject=actor.subject,
            read_at=clock.now(),
        )
        await uow.commit()
        session = uow.session
        session.expunge(snapshot)
        return snapshot


_XLSX_SHEETS = ("enterprises", "products", "manifest")


async def content(database: Database, snapshot: ListSnapshot, fmt: Format) -> AsyncIterator[bytes]:
    """The snapshot's content, streamed: entries are read in chunks from a server-side cursor and
    written out chunk by chunk (XLSX too: ``sme_common.xlsx`` deflates each chunk's rows into
    the worksheet as they come)."""
    if fmt is Format.XLSX:
        async for part in _xlsx(database, snapshot):
            yield part
        return
    async with database.sessionmaker() as session:
        if fmt is Format.JSON:
            head = {"manifest": json.loads(snapshot.manifest), "signature": snapshot.signature}
            yield (json.dumps(head, ensure_ascii=False)[:-1] + ',"enterprises":[').encode()
            first = True
            async for chunk in repository.stream_entries(session, snapshot.id):
                # orjson writes dates as ISO 8601 and UTF-8 unescaped, one call per row.
                body = b",".join([orjson.dumps(dict(r)) for r in chunk])
                yield body if first else b"," + body
                first = False
            yield (
                '],"products":' + json.dumps(snapshot.products, ensure_ascii=False) + "}"
            ).encode()
        elif fmt is Format.NDJSON:
            async for chunk in repository.stream_entries(session, snapshot.id):
                yield b"".join(domain.enterprise_line(r) for r in chunk)
            yield b"".join(domain.product_line(p) for p in snapshot.products)
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(ENTERPRISE_FIELDS)
            async for chunk in repository.stream_entries(session, snapshot.id):
                # Column order is ENTERPRISE_FIELDS; csv writes dates as ISO, None as empty.
                writer.writerows(r.values() for r in chunk)
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
            yield buffer.getvalue().encode()


async def _xlsx(database: Database, snapshot: ListSnapshot) -> AsyncIterator[bytes]:
    """Sheets ``enterprises`` (a header row, then one row an entry), ``products`` (a header row,
    then the catalogue; lists joined with commas) and ``manifest`` (the canonical manifest and
    its signature)."""
    products = [
        [",".join(v) if isinstance(v, list) else v for v in (p[f] for f in PRODUCT_FIELDS)]
        for p in snapshot.products
    ]
    # Each call returns the bytes of the file written so far; a reader that goes away half-way
    # leaves the workbook discarded (the with block).
    with XlsxStream(_XLSX_SHEETS) as book:
        yield book.sheet("enterprises") + book.rows([ENTERPRISE_FIELDS])
        async with database.sessionmaker() as session:
            # Dates as ISO text, as in the CSV and JSON contents.
            async for chunk in repository.stream_entry_texts(session, snapshot.id):
                if part := book.rows(chunk):
                    yield part
        yield (
            book.sheet("products")
            + book.rows([PRODUCT_FIELDS, *products])
            + book.sheet("manifest")
            + book.rows([("manifest", "signature"), (snapshot.manifest, snapshot.signature)])
            + book.close()
        )


# --- deltas and acknowledgements -------------------------------------------------------------


async def _own_institution(session: AsyncSession, actor: Principal) -> Institution:
    viewer = await viewer_of(session, actor)
    if not viewer.is_institution or viewer.institution_id is None:
        raise _institution_only()
    # viewer_of loaded it: the identity map answers without another round trip.
    institution = await session.get(Institution, viewer.institution_id)
    if institution is None:
        raise _institution_only()
    return institution


@functools.lru_cache(maxsize=64)
def _kinds_for(roles: frozenset[str]) -> tuple[str, ...]:
    """The kinds of institution a client's roles may act for (``viewer_of``'s rule: a client
    whose role may not act for its institution's kind is unknown). Remembered per set of roles
    (a handful exist): it is asked on every pull."""
    return tuple(kind.value for kind in InstitutionKind if role_may_act_for(roles, kind))


def _delta_page(rows: repository.DeltaRows) -> bytes:
    """The JSON of a ``DeltaPage`` around the changes the statement rendered."""
    return b"".join(
        (
            b'{"cursor":',
            orjson.dumps(DELTA_CURSOR.encode(rows.after)),
            b',"next_cursor":',
            orjson.dumps(DELTA_CURSOR.encode(rows.last)),
            b',"has_more":',
            b"true" if rows.has_more else b"false",
            b',"changes":',
            rows.changes_json,
            b"}",
        )
    )


class DeltaPulls:
    """The delta pulls in flight in one process, read and logged together: pulls that arrive
    while earlier ones are in PostgreSQL wait and go together, one statement for a batch
    (``repository.pull_pages``): one round trip and one commit for all of them. Up to
    ``IN_FLIGHT`` batches run at once, so that PostgreSQL works on several cores while the
    service answers the batch before. A burst of polls costs PostgreSQL and the event loop per
    page, not per statement (issue 10: 100 institutions pulling at once). A failure of a
    statement fails every pull of its batch, as it would have failed each alone; no pull is
    answered before its batch's commit."""

    # Measured with bench/finance_snapshot.py, (a), two processes on two cores (docs/benchmarks.md):
    # batches of 10, 4 at once, answer a burst of 100 in p99 39–51 ms; 10 × 2, 20 × 2 and 5 × 4
    # did no better (43–56 ms); earlier, one batch of up to 100 at a time 51–71 ms, 5 × 8 59 ms.
    MAX_BATCH = 10
    IN_FLIGHT = 4

    def __init__(self, database: Database) -> None:
        self.database = database
        self.waiting: list[tuple[repository.PullRequest, asyncio.Future[Any]]] = []
        self.draining = 0
        """Drains running; each leaves (and counts itself out) in the same step in which it
        finds nothing waiting, so a pull that arrives after that starts a new one."""
        self.tasks: set[asyncio.Task[None]] = set()

    async def pull(self, request: repository.PullRequest) -> repository.DeltaRows | None:
        answer: asyncio.Future[repository.DeltaRows | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.waiting.append((request, answer))
        # A test database is one connection inside one transaction: one statement at a time.
        if self.draining < (1 if self.database.bound else self.IN_FLIGHT):
            self.draining += 1
            drain = asyncio.get_running_loop().create_task(self._drain())
            self.tasks.add(drain)  # a task nobody references may be collected mid-flight
            drain.add_done_callback(self.tasks.discard)
        return await answer

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch = self.waiting[: self.MAX_BATCH]
                del self.waiting[: self.MAX_BATCH]
                # A pull whose caller went away is neither read nor logged.
                batch = [(request, answer) for request, answer in batch if not answer.done()]
                if not batch:
                    continue
                try:
                    async with self.database.driver_statement() as driver:
                        found = await repository.pull_pages(driver, [r for r, _ in batch])
                except Exception as exc:
                    for _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                except BaseException:
                    for _, answer in batch:
                        answer.cancel()
                    raise
                for (_, answer), rows in zip(batch, found, strict=True):
                    if not answer.done():
                        answer.set_result(rows)
        except BaseException:
            # Only when the drain itself is cancelled (the process stopping): nobody waits on.
            for _, answer in self.waiting:
                answer.cancel()
            del self.waiting[:]
            raise
        finally:
            self.draining -= 1


_PULLS: weakref.WeakKeyDictionary[Database, DeltaPulls] = weakref.WeakKeyDictionary()


async def pull_deltas(database: Database, *, query: DeltaQuery, actor: Principal) -> bytes:
    """The changes queued for the institution after the cursor (or after its acknowledged
    cursor), as the JSON of a ``DeltaPage``; the read is logged by the statement that read the
    page (committed before the answer).

    The hot path of every bank's polling: the pulls in flight are answered by one statement on
    the driver connection (``DeltaPulls``), without an ORM session. The client's link is read on
    every pull (no cache): a client unlinked by the province is refused on its next pull. Which
    changes concern the institution, and whether each enterprise is in its scope, were decided
    when each change was queued and again when its scope or the enterprise's 市州 changed
    (``list_delivery``, migration 0013).

    What a pull writes, the read log, is an append-only log no audit trigger captures
    (docs/finance-matching.md, "Logs and audit"), so the seal would only ask PostgreSQL whether
    it has anything to chain, a round trip on every pull."""
    if actor.roles & _PEOPLE:
        raise _institution_only()
    if not actor.client_id:
        raise client_unknown()
    after = None if query.cursor is None else DELTA_CURSOR.after(query.cursor)
    pulls = _PULLS.get(database)
    if pulls is None:
        pulls = _PULLS[database] = DeltaPulls(database)
    rows = await pulls.pull(
        repository.PullRequest(
            client_id=actor.client_id,
            kinds=_kinds_for(actor.roles),
            after=after,
            limit=query.limit,
            subject=actor.subject,
            read_at=clock.now(),
        )
    )
    if rows is None:
        raise client_unknown()
    return _delta_page(rows)


async def _advance(
    session: AsyncSession, institution_id: str, position: int, actor: Principal
) -> CursorRead:
    now = clock.now()
    stored = await repository.cursor(session, institution_id, for_update=True)
    if stored is None:
        stored = ListCursor(
            institution_id=institution_id,
            position=position,
            acknowledged_at=now,
            acknowledged_by=actor.subject,
        )
        session.add(stored)
    elif position > stored.position:
        stored.position, stored.acknowledged_at, stored.acknowledged_by = (
            position,
            now,
            actor.subject,
        )
    await session.flush()
    return CursorRead(
        institution_id=institution_id,
        cursor=DELTA_CURSOR.encode(stored.position),
        position=stored.position,
        acknowledged_at=stored.acknowledged_at,
    )


async def acknowledge_deltas(
    database: Database, *, command: DeltaAck, actor: Principal
) -> CursorRead:
    """The institution applied the changes up to ``cursor``: its stored cursor moves there (never
    back; never beyond the last change)."""
    position = DELTA_CURSOR.after(command.cursor)
    async with UnitOfWork(database) as uow:
        institution = await _own_institution(uow.session, actor)
        if position > await certified.head(uow.session):
            raise InvalidInput(
                "cursor_ahead",
                "The cursor is beyond the last change",
                "游标超出最新变更位置",
                field="cursor",
            )
        read = await _advance(uow.session, institution.id, position, actor)
        await uow.commit()
        return read


async def acknowledge_snapshot(
    database: Database, *, snapshot_id: str, actor: Principal
) -> SnapshotRead:
    """The institution received the snapshot: recorded once; its cursor moves to the snapshot's
    position (never back)."""
    async with UnitOfWork(database) as uow:
        session = uow.session
        institution = await _own_institution(session, actor)
        snapshot = await repository.get(
            session,
            snapshot_id,
            repository.visible(institution_id=institution.id, officer_where=None),
        )
        if snapshot is None:
            raise not_found(SNAPSHOT, snapshot_id, field="snapshot_id")
        ack = (await repository.acks(session, [snapshot.id])).get(snapshot.id)
        if ack is None:
            ack = SnapshotAck(
                snapshot_id=snapshot.id,
                institution_id=institution.id,
                acknowledged_at=clock.now(),
                acknowledged_by=actor.subject,
            )
            session.add(ack)
            await _advance(session, institution.id, snapshot.cursor_position, actor)
        read = _read(snapshot, ack)
        await uow.commit()
        return read


async def signing_keys(database: Database, *, signer: ListSigner) -> SigningKeys:
    """Every public key that signed a manifest, and the one signing now (public)."""
    async with UnitOfWork(database) as uow:
        keys = [jwk(k.key_id, k.public_key) for k in await repository.signing_keys(uow.session)]
    if signer.key_id not in {k["kid"] for k in keys}:
        keys.append(signer.public_jwk())
    return SigningKeys(keys=keys)
