"""The hotline sees every status change of the cases it filed: intake and each step queue a
signed callback to the channel registered for the hotline's client, in the same transaction,
and the real receiver gets them in order; a client with no registered channel gets none (it
polls), and the complainant's contact never travels in a callback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from services.complaints.tests.support import API, complaint, step
from services.complaints.tests.test_callbacks_delivery import Receiver, register, run
from sme_common.testing.plugin import TokenFactory
from sme_complaints.callbacks.domain import verify
from sme_complaints.config import Settings

HOTLINE_SCOPES = ("complaints:read", "complaints:write")


@pytest.fixture
def hotline_receiver() -> Iterator[Receiver]:
    """The hotline's callback endpoint, acknowledging everything."""
    receiver = Receiver(failures=0)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def hotline(bearer: TokenFactory, client_id: str) -> dict[str, str]:
    return bearer("hotline", scopes=HOTLINE_SCOPES, client_id=client_id)


async def test_every_status_change_of_a_hotline_case_is_called_back_in_order(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    hotline_receiver: Receiver,
    complaints_settings: Settings,
) -> None:
    receiver = hotline_receiver
    channel_id = await register(client, bearer, client_id="gansu-12345", url=receiver.url)
    filed = await client.post(
        f"{API}/cases", headers=hotline(bearer, "gansu-12345"), json=complaint()
    )
    assert filed.status_code == 201, filed.text
    case = filed.json()
    province = bearer("province_officer", region="620000")
    accepted = await step(client, province, case["id"], "accept", case["version"])
    assert accepted.status_code == 200, accepted.text
    again = await client.post(
        f"{API}/cases", headers=hotline(bearer, "gansu-12345"), json=complaint()
    )
    assert again.status_code == 200  # the same work order: no new case, no new callback
    for _ in range(3):
        await run(client, complaints_settings)
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert [b["status"] for b in bodies] == ["received", "accepted"], bodies
    assert {b["case_id"] for b in bodies} == {case["id"]}
    assert all(b["work_order_no"] == case["work_order_no"] for b in bodies)
    for received in receiver.received:
        headers = {k.lower(): v for k, v in received["headers"].items()}
        assert verify(
            "s3cret-for-tests-0123456789abcdef",
            headers["x-timestamp"],
            received["body"],
            headers["x-signature"],
        )
    assert "13800000000" not in " ".join(r["body"] for r in receiver.received)
    log = await client.get(
        f"{API}/channels/{channel_id}/deliveries", headers=hotline(bearer, "gansu-12345")
    )
    assert log.status_code == 200 and len(log.json()["items"]) == 2


async def test_a_client_without_a_registered_channel_gets_no_callback(
    client: httpx.AsyncClient,
    bearer: TokenFactory,
    hotline_receiver: Receiver,
    complaints_settings: Settings,
) -> None:
    receiver = hotline_receiver
    await register(client, bearer, client_id="gansu-12345", url=receiver.url)
    filed = await client.post(
        f"{API}/cases", headers=hotline(bearer, "other-hotline"), json=complaint()
    )
    assert filed.status_code == 201, filed.text
    await run(client, complaints_settings)
    assert receiver.received == []
