"""Channels, the queue of status changes for them, their delivery and the change feed.

``queue_status_change`` is called by the cases module inside its own unit of work: the delivery
row commits with the status change or not at all. ``deliver_due`` (run by the worker) sends what
is due, oldest first, never a case's later change while an earlier one of the same case is still
unacknowledged, and records every attempt; a failure waits a growing backoff and is tried again,
for as long as it takes. A delivery is claimed by pushing its ``next_attempt_at`` past the call's
timeout before the POST (committed), so that two workers never send it at once and a worker that
dies mid-call leaves it due again."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from sme_common import clock
from sme_common.auth.principal import Principal
from sme_common.db import Database, UnitOfWork
from sme_common.errors import Conflict
from sme_common.pagination import PositionCursor, split_page
from sme_common.problems import Resource, not_found, version_conflict
from sme_complaints.callbacks import domain
from sme_complaints.callbacks.models import (
    CallbackAttempt,
    CallbackDelivery,
    Channel,
    ChannelSecret,
)
from sme_complaints.callbacks.schemas import (
    AttemptRead,
    Change,
    ChangePage,
    ChannelCreate,
    ChannelPage,
    ChannelRead,
    ChannelUpdate,
    DeliveryPage,
    DeliveryRead,
    PageQuery,
)
from sme_complaints.config import Settings

CHANNEL = Resource("channel", "channel {key}", "渠道 {key}")
DELIVERY = Resource("delivery", "delivery {key}", "回调 {key}")
CURSOR = PositionCursor()
PENDING = "pending"
DELIVERED = "delivered"
ERROR_MAX = 500
log = structlog.get_logger(__name__)


def _read(channel: Channel) -> ChannelRead:
    return ChannelRead(
        id=channel.id,
        name=channel.name,
        client_id=channel.client_id,
        callback_url=channel.callback_url,
        status=channel.status,
        version=channel.version,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )


async def _channel(
    session: AsyncSession, channel_id: str, actor: Principal, *, lock: bool = False
) -> Channel:
    """The channel, if the caller may see it: officers and the admin every channel, a machine
    client (hotline, agency system) only the one its token's ``client_id`` names."""
    statement = select(Channel).where(Channel.id == channel_id)
    if actor.is_machine:
        if not actor.client_id:
            raise not_found(CHANNEL, channel_id, field="channel_id")
        statement = statement.where(Channel.client_id == actor.client_id)
    if lock:
        statement = statement.with_for_update()
    channel = await session.scalar(statement)
    if channel is None:
        raise not_found(CHANNEL, channel_id, field="channel_id")
    return channel


def _client_taken(client_id: str) -> Conflict:
    return Conflict(
        "channel_client_exists",
        f"A channel for client {client_id} is already registered",
        f"客户端 {client_id} 已登记渠道",
        field="client_id",
    )


async def register_channel(
    database: Database, *, command: ChannelCreate, settings: Settings, actor: Principal
) -> ChannelRead:
    url = domain.check_callback_url(command.callback_url, settings.callback_http_hosts)
    now = clock.now()
    async with UnitOfWork(database) as uow:
        taken = await uow.session.scalar(
            select(Channel.id).where(Channel.client_id == command.client_id)
        )
        if taken is not None:
            raise _client_taken(command.client_id)
        channel = Channel(
            id=f"ch_{secrets.token_hex(8)}",
            name=command.name,
            client_id=command.client_id,
            callback_url=url,
            status="active",
            version=1,
            created_at=now,
            created_by=actor.subject,
            updated_at=now,
            updated_by=actor.subject,
        )
        uow.session.add(channel)
        await uow.flush()
        uow.session.add(ChannelSecret(channel_id=channel.id, secret=command.secret, set_at=now))
        uow.audit("channel.secret_set", "channel", channel.id, detail={"set_at": now.isoformat()})
        await uow.flush()
        result = _read(channel)
        await uow.commit()
    return result


async def list_channels(database: Database) -> ChannelPage:
    async with UnitOfWork(database) as uow:
        rows = (await uow.session.scalars(select(Channel).order_by(Channel.created_at))).all()
        return ChannelPage(items=[_read(c) for c in rows])


async def get_channel(database: Database, *, channel_id: str, actor: Principal) -> ChannelRead:
    async with UnitOfWork(database) as uow:
        return _read(await _channel(uow.session, channel_id, actor))


async def update_channel(
    database: Database,
    *,
    channel_id: str,
    command: ChannelUpdate,
    settings: Settings,
    actor: Principal,
) -> ChannelRead:
    url = (
        domain.check_callback_url(command.callback_url, settings.callback_http_hosts)
        if command.callback_url is not None
        else None
    )
    now = clock.now()
    async with UnitOfWork(database) as uow:
        channel = await _channel(uow.session, channel_id, actor, lock=True)
        if channel.version != command.version:
            raise version_conflict(
                CHANNEL, channel_id, current=channel.version, sent=command.version
            )
        if command.name is not None:
            channel.name = command.name
        if url is not None:
            channel.callback_url = url
        if command.status is not None:
            channel.status = command.status
        if command.secret is not None:
            secret = await uow.session.get(ChannelSecret, channel.id, with_for_update=True)
            assert secret is not None  # written with the channel
            secret.secret = command.secret
            secret.set_at = now
            uow.audit(
                "channel.secret_set", "channel", channel.id, detail={"set_at": now.isoformat()}
            )
        channel.version += 1
        channel.updated_at = now
        channel.updated_by = actor.subject
        await uow.flush()
        result = _read(channel)
        await uow.commit()
    return result


def status_body(
    *,
    delivery_id: str,
    channel_id: str,
    case_id: str,
    work_order_no: str | None,
    status: str,
    occurred_at: datetime,
    payload: dict[str, Any],
) -> str:
    """The JSON body sent (and signed) for one status change, fixed when it is queued."""
    return json.dumps(
        {
            "delivery_id": delivery_id,
            "channel_id": channel_id,
            "case_id": case_id,
            "work_order_no": work_order_no,
            "status": status,
            "occurred_at": occurred_at.isoformat(),
            "payload": payload,
        },
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )


async def notify_channel_of(
    uow: UnitOfWork,
    *,
    client_id: str,
    case_id: str,
    work_order_no: str | None,
    status: str,
    occurred_at: datetime,
    payload: dict[str, Any],
) -> str | None:
    """Queue a case's change for the channel registered for the client that filed it (the
    hotline's ``client_id``); a client with no registered channel gets no callback (it may still
    poll its cases). Returns the delivery id, or None."""
    # The whole row, not its id: ``queue_status_change`` then finds it in the session's identity
    # map instead of reading it again (one round trip fewer on every status change).
    channel = (
        await uow.session.execute(select(Channel).where(Channel.client_id == client_id))
    ).scalar_one_or_none()
    if channel is None:
        return None
    return await queue_status_change(
        uow,
        channel_id=channel.id,
        case_id=case_id,
        work_order_no=work_order_no,
        status=status,
        occurred_at=occurred_at,
        payload=payload,
    )


async def queue_status_change(
    uow: UnitOfWork,
    *,
    channel_id: str,
    case_id: str,
    work_order_no: str | None,
    status: str,
    occurred_at: datetime,
    payload: dict[str, Any],
) -> str:
    """Queue a case's status change for its channel, in the caller's unit of work (committed
    with the change itself, or not at all). Returns the delivery id (``X-Delivery-Id``). The
    caller keeps a case's changes in order (it changes the case under its row lock); a suspended
    channel's deliveries wait until it is active again."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    channel = await uow.session.get(Channel, channel_id)
    if channel is None:
        raise not_found(CHANNEL, channel_id, field="channel_id")
    delivery_id = f"dlv_{secrets.token_hex(12)}"
    now = clock.now()
    uow.session.add(
        CallbackDelivery(
            id=delivery_id,
            channel_id=channel_id,
            case_id=case_id,
            work_order_no=work_order_no,
            status=status,
            occurred_at=occurred_at,
            payload=payload,
            body=status_body(
                delivery_id=delivery_id,
                channel_id=channel_id,
                case_id=case_id,
                work_order_no=work_order_no,
                status=status,
                occurred_at=occurred_at,
                payload=payload,
            ),
            state=PENDING,
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            created_at=now,
            delivered_at=None,
        )
    )
    await uow.flush()
    return delivery_id


def _delivery_read(delivery: CallbackDelivery, attempts: Sequence[CallbackAttempt]) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        position=delivery.position,
        case_id=delivery.case_id,
        work_order_no=delivery.work_order_no,
        status=delivery.status,
        occurred_at=delivery.occurred_at,
        state=DELIVERED if delivery.state == DELIVERED else PENDING,
        attempts=delivery.attempts,
        next_attempt_at=None if delivery.state == DELIVERED else delivery.next_attempt_at,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        log=[
            AttemptRead(
                attempted_at=a.attempted_at,
                status_code=a.status_code,
                error=a.error,
                duration_ms=a.duration_ms,
            )
            for a in attempts
        ],
    )


async def _page(
    session: AsyncSession, channel_id: str, query: PageQuery
) -> tuple[Sequence[CallbackDelivery], str | None]:
    after = CURSOR.after(query.cursor)
    rows = (
        await session.scalars(
            select(CallbackDelivery)
            .where(CallbackDelivery.channel_id == channel_id, CallbackDelivery.position > after)
            .order_by(CallbackDelivery.position)
            .limit(query.limit + 1)
        )
    ).all()
    page, last = split_page(rows, query.limit)
    return page, (CURSOR.encode(last.position) if last is not None else None)


async def list_deliveries(
    database: Database, *, channel_id: str, query: PageQuery, actor: Principal
) -> DeliveryPage:
    """The channel's deliveries in the order queued, each with its log of attempts."""
    async with UnitOfWork(database) as uow:
        channel = await _channel(uow.session, channel_id, actor)
        page, cursor = await _page(uow.session, channel.id, query)
        attempts = (
            await uow.session.scalars(
                select(CallbackAttempt)
                .where(CallbackAttempt.delivery_id.in_([d.id for d in page]))
                .order_by(CallbackAttempt.id)
            )
        ).all()
        by_delivery: dict[str, list[CallbackAttempt]] = {}
        for attempt in attempts:
            by_delivery.setdefault(attempt.delivery_id, []).append(attempt)
        return DeliveryPage(
            items=[_delivery_read(d, by_delivery.get(d.id, [])) for d in page],
            next_cursor=cursor,
        )


async def list_changes(
    database: Database, *, channel_id: str, query: PageQuery, actor: Principal
) -> ChangePage:
    """The channel's own status changes in the order queued (the polling alternative)."""
    async with UnitOfWork(database) as uow:
        channel = await _channel(uow.session, channel_id, actor)
        page, cursor = await _page(uow.session, channel.id, query)
        return ChangePage(
            items=[
                Change(
                    delivery_id=d.id,
                    position=d.position,
                    case_id=d.case_id,
                    work_order_no=d.work_order_no,
                    status=d.status,
                    occurred_at=d.occurred_at,
                    payload=d.payload,
                )
                for d in page
            ],
            next_cursor=cursor,
        )


async def retry_delivery(
    database: Database, *, channel_id: str, delivery_id: str, actor: Principal
) -> DeliveryRead:
    """Make an unacknowledged delivery due now (an officer, after the receiver is fixed)."""
    now = clock.now()
    async with UnitOfWork(database) as uow:
        channel = await _channel(uow.session, channel_id, actor)
        delivery = await uow.session.scalar(
            select(CallbackDelivery)
            .where(CallbackDelivery.id == delivery_id, CallbackDelivery.channel_id == channel.id)
            .with_for_update()
        )
        if delivery is None:
            raise not_found(DELIVERY, delivery_id, field="delivery_id")
        if delivery.state == DELIVERED:
            raise Conflict(
                "delivery_already_acknowledged",
                f"Delivery {delivery_id} was acknowledged at {delivery.delivered_at}",
                f"回调 {delivery_id} 已于 {delivery.delivered_at} 确认送达",
                field="delivery_id",
            )
        delivery.next_attempt_at = now
        uow.audit("callback.retry_requested", "callback_delivery", delivery.id)
        await uow.flush()
        attempts = (
            await uow.session.scalars(
                select(CallbackAttempt)
                .where(CallbackAttempt.delivery_id == delivery.id)
                .order_by(CallbackAttempt.id)
            )
        ).all()
        result = _delivery_read(delivery, attempts)
        await uow.commit()
    return result


async def _claim(
    database: Database, *, limit: int, lease: timedelta
) -> list[tuple[str, str, str, str]]:
    """(delivery id, url, secret, body) of the due deliveries that head their case's queue."""
    now = clock.now()
    earlier = aliased(CallbackDelivery)
    head_of_case = ~(
        select(earlier.id)
        .where(
            earlier.channel_id == CallbackDelivery.channel_id,
            earlier.case_id == CallbackDelivery.case_id,
            earlier.state == PENDING,
            earlier.position < CallbackDelivery.position,
        )
        .exists()
    )
    async with UnitOfWork(database) as uow:
        rows = (
            await uow.session.execute(
                select(CallbackDelivery, Channel.callback_url, ChannelSecret.secret)
                .join(Channel, Channel.id == CallbackDelivery.channel_id)
                .join(ChannelSecret, ChannelSecret.channel_id == Channel.id)
                .where(
                    CallbackDelivery.state == PENDING,
                    CallbackDelivery.next_attempt_at <= now,
                    Channel.status == "active",
                    head_of_case,
                )
                .order_by(CallbackDelivery.position)
                .limit(limit)
                .with_for_update(of=CallbackDelivery, skip_locked=True)
            )
        ).all()
        claimed = []
        for delivery, url, secret in rows:
            delivery.next_attempt_at = now + lease
            claimed.append((delivery.id, url, secret, delivery.body))
        await uow.commit()
    return claimed


async def _send(
    client: httpx.AsyncClient,
    *,
    delivery_id: str,
    url: str,
    secret: str,
    body: str,
    timeout_s: float,
) -> tuple[int | None, str | None, int]:
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        domain.SIGNATURE_HEADER: domain.sign(secret, timestamp, body),
        domain.TIMESTAMP_HEADER: timestamp,
        domain.DELIVERY_HEADER: delivery_id,
    }
    started = time.monotonic()
    try:
        response = await client.post(url, content=body.encode(), headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return None, error[:ERROR_MAX], int((time.monotonic() - started) * 1000)
    duration = int((time.monotonic() - started) * 1000)
    if 200 <= response.status_code < 300:
        return response.status_code, None, duration
    return response.status_code, f"HTTP {response.status_code}", duration


async def _record(
    database: Database,
    *,
    delivery_id: str,
    attempted_at: datetime,
    outcome: tuple[int | None, str | None, int],
    settings: Settings,
) -> None:
    status_code, error, duration = outcome
    async with UnitOfWork(database) as uow:
        delivery = await uow.session.get(CallbackDelivery, delivery_id, with_for_update=True)
        assert delivery is not None
        uow.session.add(
            CallbackAttempt(
                delivery_id=delivery_id,
                attempted_at=attempted_at,
                status_code=status_code,
                error=error,
                duration_ms=duration,
            )
        )
        delivery.attempts += 1
        if error is None:
            delivery.state = DELIVERED
            delivery.delivered_at = clock.now()
            delivery.last_error = None
        else:
            delivery.last_error = error
            delivery.next_attempt_at = domain.next_attempt_at(
                clock.now(),
                delivery.attempts,
                initial_s=settings.callback_backoff_initial_s,
                max_s=settings.callback_backoff_max_s,
            )
        await uow.commit()


async def deliver_due(
    database: Database, *, client: httpx.AsyncClient, settings: Settings, limit: int = 50
) -> int:
    """Send every due delivery that heads its case's queue, once; returns how many were tried."""
    lease = timedelta(seconds=settings.callback_timeout_s + 60)
    claimed = await _claim(database, limit=limit, lease=lease)
    for delivery_id, url, secret, body in claimed:
        attempted_at = clock.now()
        outcome = await _send(
            client,
            delivery_id=delivery_id,
            url=url,
            secret=secret,
            body=body,
            timeout_s=settings.callback_timeout_s,
        )
        await _record(
            database,
            delivery_id=delivery_id,
            attempted_at=attempted_at,
            outcome=outcome,
            settings=settings,
        )
        status_code, error, duration_ms = outcome
        log.info(
            "callback_attempt",
            delivery_id=delivery_id,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    return len(claimed)
