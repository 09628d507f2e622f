"""Status callbacks to a channel: a real local HTTP receiver that fails twice then acknowledges;
the signature, the backoff, the per-case order, the delivery log, the change feed and who may
read them."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sme_common.clock import FixedClock
from sme_common.db import UnitOfWork
from sme_common.testing.plugin import TokenFactory
from sme_complaints.callbacks.domain import verify
from sme_complaints.callbacks.service import deliver_due, queue_status_change
from sme_complaints.callbacks.worker import callback_delivery
from sme_complaints.config import Settings

SECRET = "s3cret-for-tests-0123456789abcdef"
API = "/api/complaints/v1"


class Receiver:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                receiver.received.append({"headers": dict(self.headers), "body": body})
                failing = receiver.failures > 0
                receiver.failures -= 1
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callbacks"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def officer(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


def hotline(bearer: TokenFactory, client_id: str) -> dict[str, str]:
    return bearer("hotline", region="620000", scopes=("complaints:read",), client_id=client_id)


async def register(
    client: httpx.AsyncClient, bearer: TokenFactory, *, client_id: str, url: str
) -> str:
    response = await client.post(
        f"{API}/channels",
        headers=officer(bearer),
        json={
            "name": "甘肃12345热线",
            "client_id": client_id,
            "callback_url": url,
            "secret": SECRET,
        },
    )
    assert response.status_code == 201, response.text
    assert "secret" not in response.json()
    return str(response.json()["id"])


async def queue(
    client: httpx.AsyncClient, channel_id: str, case_id: str, status: str, minute: int
) -> str:
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        delivery_id = await queue_status_change(
            uow,
            channel_id=channel_id,
            case_id=case_id,
            work_order_no=f"WO-{case_id}",
            status=status,
            occurred_at=datetime(2026, 11, 26, 1, minute, tzinfo=UTC),
            payload={"note": "案件状态变更"},
        )
        await uow.commit()
    return delivery_id


async def run(client: httpx.AsyncClient, settings: Settings) -> int:
    async with httpx.AsyncClient() as http:
        return await deliver_due(client.app.state.database, client=http, settings=settings)  # type: ignore[attr-defined]


async def test_retries_with_backoff_until_acknowledged_in_case_order(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    receiver: Receiver,
    complaints_settings: Settings,
    business_clock: FixedClock,
) -> None:
    channel = await register(client, bearer, client_id="gansu-12345", url=receiver.url)
    first = await queue(client, channel, "case_a", "received", 1)
    second = await queue(client, channel, "case_a", "accepted", 2)

    assert await run(client, complaints_settings) == 1  # the later change waits for the first
    assert await run(client, complaints_settings) == 0  # backoff: nothing due yet
    business_clock.advance(timedelta(seconds=12))  # first wait 10 s + up to 10 % jitter
    assert await run(client, complaints_settings) == 1
    business_clock.advance(timedelta(seconds=12))
    assert await run(client, complaints_settings) == 0  # second wait 20–22 s
    business_clock.advance(timedelta(seconds=12))
    assert await run(client, complaints_settings) == 1  # acknowledged
    assert await run(client, complaints_settings) == 1  # now the second change
    assert await run(client, complaints_settings) == 0

    ids = [r["headers"]["X-Delivery-Id"] for r in receiver.received]
    assert ids == [first, first, first, second]
    for request in receiver.received:
        headers = request["headers"]
        assert verify(SECRET, headers["X-Timestamp"], request["body"], headers["X-Signature"])
        assert not verify(
            "another-secret-0123456789abcdefgh",
            headers["X-Timestamp"],
            request["body"],
            headers["X-Signature"],
        )
    assert [json.loads(r["body"])["status"] for r in receiver.received] == [
        "received",
        "received",
        "received",
        "accepted",
    ]

    log = await client.get(
        f"{API}/channels/{channel}/deliveries", headers=hotline(bearer, "gansu-12345")
    )
    assert log.status_code == 200, log.text
    items = log.json()["items"]
    assert [i["id"] for i in items] == [first, second]
    assert [a["status_code"] for a in items[0]["log"]] == [500, 500, 200]
    assert [a["error"] for a in items[0]["log"]] == ["HTTP 500", "HTTP 500", None]
    assert items[0]["state"] == "delivered" and items[0]["attempts"] == 3
    assert items[1]["log"][0]["status_code"] == 200

    again = await client.post(
        f"{API}/channels/{channel}/deliveries/{first}/retry", headers=officer(bearer)
    )
    assert again.status_code == 409
    assert again.json()["code"] == "delivery_already_acknowledged"


async def test_a_receiver_that_is_down_is_logged_and_retried_on_request(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    complaints_settings: Settings,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    channel = await register(
        client, bearer, client_id="agency-x", url=f"http://127.0.0.1:{port}/cb"
    )
    delivery = await queue(client, channel, "case_b", "received", 1)
    assert await run(client, complaints_settings) == 1
    assert await run(client, complaints_settings) == 0
    retried = await client.post(
        f"{API}/channels/{channel}/deliveries/{delivery}/retry", headers=officer(bearer)
    )
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert body["state"] == "pending"
    assert body["log"][0]["status_code"] is None and body["log"][0]["error"]
    assert await run(client, complaints_settings) == 1
    log = await client.get(f"{API}/channels/{channel}/deliveries", headers=officer(bearer))
    assert log.json()["items"][0]["attempts"] == 2


async def test_a_channel_reads_its_own_log_and_changes_and_no_other(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    mine = await register(client, bearer, client_id="gansu-12345", url="https://hotline.example/cb")
    other = await register(client, bearer, client_id="other-system", url="https://other.example/cb")
    first = await queue(client, mine, "case_c", "received", 1)
    second = await queue(client, mine, "case_c", "accepted", 2)
    await queue(client, other, "case_d", "received", 3)

    own = hotline(bearer, "gansu-12345")
    page = await client.get(f"{API}/channels/{mine}/changes", params={"limit": 1}, headers=own)
    assert page.status_code == 200, page.text
    assert [c["delivery_id"] for c in page.json()["items"]] == [first]
    cursor = page.json()["next_cursor"]
    rest = await client.get(
        f"{API}/channels/{mine}/changes", params={"limit": 1, "cursor": cursor}, headers=own
    )
    assert [c["delivery_id"] for c in rest.json()["items"]] == [second]

    stranger = hotline(bearer, "other-system")
    for path in ("deliveries", "changes"):
        response = await client.get(f"{API}/channels/{mine}/{path}", headers=stranger)
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "channel_not_found"
    no_client = bearer("hotline", region="620000", scopes=("complaints:read",))
    assert (
        await client.get(f"{API}/channels/{mine}/deliveries", headers=no_client)
    ).status_code == 404
    theirs = await client.get(f"{API}/channels/{other}/changes", headers=stranger)
    assert [c["case_id"] for c in theirs.json()["items"]] == ["case_d"]
    bad = await client.get(f"{API}/channels/{mine}/changes", params={"cursor": "!!"}, headers=own)
    assert bad.status_code == 422 and bad.json()["code"] == "cursor_invalid"
    # a hotline token may not manage channels or retry
    assert (await client.get(f"{API}/channels", headers=own)).status_code == 403


async def test_callback_urls_are_https_outside_the_allowlist(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    for url, code in (
        ("http://hotline.example/cb", "callback_url_not_https"),
        ("https://user@hotline.example/cb", "callback_url_invalid"),
        ("https://hotline.example:99999/cb", "callback_url_invalid"),
    ):
        response = await client.post(
            f"{API}/channels",
            headers=officer(bearer),
            json={"name": "x", "client_id": "c1", "callback_url": url, "secret": SECRET},
        )
        assert response.status_code == 422, url
        assert response.json()["code"] == code
    await register(client, bearer, client_id="dup", url="https://a.example/cb")
    dup = await client.post(
        f"{API}/channels",
        headers=officer(bearer),
        json={
            "name": "x",
            "client_id": "dup",
            "callback_url": "https://a.example/cb",
            "secret": SECRET,
        },
    )
    assert dup.status_code == 409


async def test_a_change_queued_in_a_unit_of_work_that_rolls_back_is_not_sent(
    client: httpx.AsyncClient, bearer: TokenFactory, complaints_settings: Settings
) -> None:
    channel = await register(client, bearer, client_id="gansu-12345", url="https://h.example/cb")
    async with UnitOfWork(client.app.state.database) as uow:  # type: ignore[attr-defined]
        await queue_status_change(
            uow,
            channel_id=channel,
            case_id="case_e",
            work_order_no=None,
            status="received",
            occurred_at=datetime(2026, 11, 26, 1, 0, tzinfo=UTC),
            payload={},
        )
        # no commit: the case's own change failed, so its callback goes too
    log = await client.get(f"{API}/channels/{channel}/deliveries", headers=officer(bearer))
    assert log.json()["items"] == []
    assert await run(client, complaints_settings) == 0


async def test_the_background_worker_delivers(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    receiver: Receiver,
    complaints_settings: Settings,
) -> None:
    receiver.failures = 0
    channel = await register(client, bearer, client_id="gansu-12345", url=receiver.url)
    delivery = await queue(client, channel, "case_f", "received", 1)
    stop = asyncio.Event()
    settings = complaints_settings.model_copy(update={"callback_interval_s": 0.05})
    task = asyncio.create_task(
        callback_delivery(settings, client.app.state.database, stop)  # type: ignore[attr-defined]
    )
    for _ in range(100):
        if receiver.received:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    assert [r["headers"]["X-Delivery-Id"] for r in receiver.received] == [delivery]
