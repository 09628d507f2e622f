"""The 12345 hotline end to end on the embedded platform (real PostgreSQL, the real broker, every
service in this process, complaints' callback worker running as its background task): a province
officer registers the hotline's channel with a callback URL served by a local HTTP receiver; the
hotline files a work order (twice: one case); the province accepts and transfers it, 兰州's
department receives and resolves it. The receiver gets every status change, in order, each
signed with HMAC-SHA256 over ``timestamp.body`` (checked here with ``hmac``/``hashlib``, not the
service's code); while the receiver is down (503) the deliveries are retried with backoff and
arrive in order once it is back. No callback carries the complainant's contact; the hotline can
also poll its changes; a bank token and the respondent's own enterprise token cannot read the
contact.

The worker's interval and backoff are the service's settings (``SME_COMPLAINTS_*`` environment
variables, read when the harness builds the settings), shortened for the test; the business clock
is the real one (a fixed clock would never let a backoff elapse)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from sme_common.ids import make_uscc
from sme_common.testing.plugin import DatabaseFactory, TokenFactory, kafka_settings_for_tests
from tests.harness import embedded_platform, eventually

pytestmark = pytest.mark.slow

API = "/api/complaints/v1"
SECRET = "hotline-e2e-" + "0123456789abcdef" * 2
PHONE = "13912345678"
CONTACT_NAME = "李四联系人"


class HotlineReceiver:
    """The hotline's callback endpoint: answers 503 while ``down``, else 200; keeps every
    request (with what it answered) in arrival order."""

    def __init__(self) -> None:
        self.down = False
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    status = 503 if receiver.down else 200
                    receiver.requests.append(
                        {
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                            "answered": status,
                            "at": time.time(),
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sme/callbacks"

    def acknowledged(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["answered"] == 200]

    def refused(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["answered"] != 200]


@pytest.fixture
def receiver() -> Iterator[HotlineReceiver]:
    r = HotlineReceiver()
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def fast_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The complaints service's own settings: poll often, back off briefly, allow plain http to
    the loopback receiver."""
    monkeypatch.setenv("SME_COMPLAINTS_CALLBACK_INTERVAL_S", "0.2")
    monkeypatch.setenv("SME_COMPLAINTS_CALLBACK_BACKOFF_INITIAL_S", "0.3")
    monkeypatch.setenv("SME_COMPLAINTS_CALLBACK_BACKOFF_MAX_S", "1.0")
    monkeypatch.setenv("SME_COMPLAINTS_CALLBACK_TIMEOUT_S", "5")
    monkeypatch.setenv("SME_COMPLAINTS_CALLBACK_HTTP_HOSTS", '["127.0.0.1"]')


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Independently of the service: HMAC-SHA256 over ``timestamp + "." + body``, hex."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def work_order(no: str, complainant: str, respondent: str) -> dict[str, Any]:
    return {
        "category_code": "overdue_goods",
        "work_order_no": no,
        "complainant": {
            "uscc": complainant,
            "name": "兰州热线测试机械有限公司",
            "size_class": "small",
            "contact": {"name": CONTACT_NAME, "phone": PHONE},
        },
        "respondent": {
            "name": "兰州某某集团有限公司",
            "uscc": respondent,
            "type": "government_body",
            "region_code": "620102",
        },
        "contract": {
            "signed_on": "2025-07-01",
            "subject": "goods",
            "amount_fen": 120_000_000,
            "delivered_on": "2025-08-01",
        },
        "amount_owed_fen": 60_000_000,
        "other_proceedings": {"seized": False},
        "evidence": [{"kind": "contract", "title": "采购合同"}],
    }


async def test_the_hotline_sees_every_status_change_signed_in_order_and_survives_an_outage(
    database_factory: DatabaseFactory,
    kafka_bootstrap: str,
    auth_dir: Path,
    bearer: TokenFactory,
    receiver: HotlineReceiver,
    fast_callbacks: None,
) -> None:
    tag = secrets.token_hex(3)
    client_id = f"gansu-12345-{tag}"
    serial = secrets.randbelow(900_000) + 1
    complainant = make_uscc(region="620102", body=f"HC{serial:06d}")
    respondent = make_uscc(region="620102", body=f"HR{serial:06d}")
    province = bearer("province_officer", region="620000")
    lanzhou = bearer("city_officer", region="620100")
    hotline = bearer("hotline", scopes=("complaints:read", "complaints:write"), client_id=client_id)
    bank = bearer("bank", scopes=("complaints:read",), client_id=f"bank-{tag}")
    respondent_user = bearer("enterprise", uscc=respondent, scopes=("complaints:read",))

    async with (
        embedded_platform(
            database_factory, kafka_settings_for_tests(kafka_bootstrap), auth_dir
        ) as platform,
        httpx.AsyncClient(base_url=platform.base_url, timeout=30) as client,
    ):
        channel = ok(
            await client.post(
                f"{API}/channels",
                headers=province,
                json={
                    "name": "甘肃12345政务服务便民热线",
                    "client_id": client_id,
                    "callback_url": receiver.url,
                    "secret": SECRET,
                },
            ),
            201,
        )
        assert "secret" not in channel

        # The same work order twice (the hotline re-sends): one case.
        body = work_order(f"GS12345-{tag}-0001", complainant, respondent)
        case = ok(await client.post(f"{API}/cases", headers=hotline, json=body), 201)
        again = ok(await client.post(f"{API}/cases", headers=hotline, json=body), 200)
        assert again["id"] == case["id"]
        listed = ok(await client.get(f"{API}/cases", headers=hotline))
        assert [c["id"] for c in listed["items"]] == [case["id"]]

        async def delivered(count: int) -> bool:
            return len(receiver.acknowledged()) >= count

        await eventually(lambda: delivered(1), timeout_s=30)

        current = ok(
            await client.post(
                f"{API}/cases/{case['id']}/steps",
                headers=province,
                json={"action": "accept", "version": case["version"]},
            )
        )
        await eventually(lambda: delivered(2), timeout_s=30)

        # The receiver goes down: the next changes are refused, retried, and held in order.
        receiver.down = True
        current = ok(
            await client.post(
                f"{API}/cases/{case['id']}/steps",
                headers=province,
                json={"action": "transfer", "version": current["version"]},
            )
        )
        assert current["department_id"] == "gs-620100-gov"
        current = ok(
            await client.post(
                f"{API}/cases/{case['id']}/steps",
                headers=lanzhou,
                json={"action": "receive", "version": current["version"]},
            )
        )

        async def refused_repeatedly() -> bool:
            return len(receiver.refused()) >= 3

        await eventually(refused_repeatedly, timeout_s=30)
        # Only the head of the case's queue is tried while it is refused: never the later one.
        assert {json.loads(r["body"])["status"] for r in receiver.refused()} == {"transferred"}
        pending = ok(
            await client.get(f"{API}/channels/{channel['id']}/deliveries", headers=hotline)
        )
        transfer_log = next(d for d in pending["items"] if d["status"] == "transferred")
        assert transfer_log["state"] == "pending" and transfer_log["attempts"] >= 3
        assert transfer_log["last_error"] == "HTTP 503"
        assert all(a["status_code"] == 503 for a in transfer_log["log"])

        receiver.down = False
        await eventually(lambda: delivered(4), timeout_s=30)
        current = ok(
            await client.post(
                f"{API}/cases/{case['id']}/steps",
                headers=lanzhou,
                json={
                    "action": "resolve",
                    "version": current["version"],
                    "outcome": "paid_in_full",
                    "amount_paid_fen": 60_000_000,
                    "written_result": "被投诉人已全额支付",
                },
            )
        )
        assert current["status"] == "resolved"
        await eventually(lambda: delivered(5), timeout_s=30)

        # Every status change, once each, in order, with a valid signature.
        acknowledged = receiver.acknowledged()
        bodies = [json.loads(r["body"]) for r in acknowledged]
        assert [b["status"] for b in bodies] == [
            "received",
            "accepted",
            "transferred",
            "in_handling",
            "resolved",
        ], bodies
        assert [b["payload"]["action"] for b in bodies] == [
            "file",
            "accept",
            "transfer",
            "receive",
            "resolve",
        ]
        assert [b["payload"]["version"] for b in bodies] == [1, 2, 3, 4, 5]
        assert {b["case_id"] for b in bodies} == {case["id"]}
        assert {b["work_order_no"] for b in bodies} == {body["work_order_no"]}
        assert {b["channel_id"] for b in bodies} == {channel["id"]}
        assert len({b["delivery_id"] for b in bodies}) == 5
        for request in receiver.requests:
            headers = request["headers"]
            assert hmac.compare_digest(
                headers["x-signature"],
                expected_signature(SECRET, headers["x-timestamp"], request["body"]),
            )
            assert abs(int(headers["x-timestamp"]) - request["at"]) < 60
            assert headers["x-delivery-id"] == json.loads(request["body"])["delivery_id"]
            assert not hmac.compare_digest(
                headers["x-signature"],
                expected_signature("another-secret" * 3, headers["x-timestamp"], request["body"]),
            )
            text = request["body"].decode()
            assert PHONE not in text and CONTACT_NAME not in text

        # The delivery log: all acknowledged, the outage's failed attempts recorded.
        async def all_acknowledged() -> dict[str, Any] | None:
            # The worker records the acknowledgement just after the receiver answers.
            log = ok(
                await client.get(f"{API}/channels/{channel['id']}/deliveries", headers=hotline)
            )
            states = [d["state"] for d in log["items"]]
            return log if states == ["delivered"] * 5 else None

        await eventually(all_acknowledged, timeout_s=30)
        log = await all_acknowledged()
        assert log is not None
        transfer_log = next(d for d in log["items"] if d["status"] == "transferred")
        assert transfer_log["attempts"] == len(
            [r for r in receiver.requests if json.loads(r["body"])["status"] == "transferred"]
        )
        assert [a["status_code"] for a in transfer_log["log"]][-1] == 200

        # The hotline may poll instead: the same changes in the same order, page by page.
        polled: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = ok(
                await client.get(
                    f"{API}/channels/{channel['id']}/changes", headers=hotline, params=params
                )
            )
            polled.extend(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert [c["delivery_id"] for c in polled] == [b["delivery_id"] for b in bodies]
        assert PHONE not in json.dumps(polled, ensure_ascii=False)
        case_as_hotline = ok(await client.get(f"{API}/cases/{case['id']}", headers=hotline))
        assert PHONE not in json.dumps(case_as_hotline, ensure_ascii=False)

        # Confidentiality: the contact is for the accepting and handling officers only.
        contact_url = f"{API}/cases/{case['id']}/complainant-contact"
        assert ok(await client.get(contact_url, headers=province))["phone"] == PHONE
        assert ok(await client.get(contact_url, headers=lanzhou))["phone"] == PHONE
        for outsider in (bank, respondent_user, hotline):
            refused = await client.get(contact_url, headers=outsider)
            assert refused.status_code in (403, 404), refused.text
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert PHONE not in refused.text and CONTACT_NAME not in refused.text
        for outsider in (bank, respondent_user):
            read = await client.get(f"{API}/cases/{case['id']}", headers=outsider)
            assert read.status_code in (403, 404), read.text
            assert PHONE not in read.text
        audited = platform.query(
            "complaints",
            "SELECT count(*) FROM audit_record WHERE action = 'read' "
            "AND resource_type = 'complaint_complainant' AND resource_id = %s",
            case["id"],
        )
        assert audited[0][0] == 2
