"""Every case event complaints publishes reaches the profile of the party it names: the
complainant's record (seen by the province only) and the respondent's."""

from __future__ import annotations

import httpx
import pytest

from services.registry.tests.support import register_enterprise
from sme_common.contracts.events.complaints.models import MODELS
from sme_common.events.consumer import ConsumerRunner, Outcome, PermanentEventError
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.settings import KafkaSettings
from sme_common.testing.plugin import TokenFactory
from sme_registry.activity.consumers import history_consumer

URL = "/api/registry/v1"
STEPS: tuple[tuple[str, dict[str, str]], ...] = (
    ("received", {}),
    ("accepted", {}),
    ("not-accepted", {"reason_code": "respondent_out_of_scope"}),
    ("transferred", {"department_id": "gs-620100-gov"}),
    ("returned", {"department_id": "gs-620100-gov"}),
    ("resolved", {}),
    ("closed", {"reason_code": "withdrawn"}),
    ("overdue", {"deadline": "handle", "due_on": "2026-10-28", "department_id": "gs-620100-gov"}),
)


async def deliver(client: httpx.AsyncClient, event: CloudEvent) -> Outcome:
    runner = ConsumerRunner(
        spec=history_consumer,
        database=client.app.state.database,  # type: ignore[attr-defined]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
    )
    return await runner.apply(event, history_consumer.handlers[event.type])


def case_event(verb: str, uscc: str, role: str, n: int, **extra: object) -> CloudEvent:
    return CloudEvent(
        type=f"complaints.case.{verb}.v1",
        source="/sme/complaints",
        subject=uscc,
        data={
            "case_id": "case_00000000000000a1",
            "uscc": uscc,
            "party_role": role,
            "amount_owed_fen": 60_000_000,
            "status": "received",
            "occurred_at": f"2026-09-{10 + n:02d}T02:00:00+00:00",
            **extra,
        },
    )


def test_the_history_consumer_takes_every_case_event_complaints_publishes() -> None:
    published = {model.event_type for model in MODELS}
    assert published <= set(history_consumer.handlers), published - set(history_consumer.handlers)


async def test_both_parties_profiles_show_every_case_event(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000")
    complainant = await register_enterprise(client, officer, "CR000001")
    respondent = await register_enterprise(client, officer, "CR000002")
    for n, (verb, extra) in enumerate(STEPS):
        for uscc, role in ((complainant, "complainant"), (respondent, "respondent")):
            assert await deliver(client, case_event(verb, uscc, role, n, **extra)) is (
                Outcome.APPLIED
            )
    kinds = [f"case_{verb.replace('-', '_')}" for verb, _ in STEPS]
    mine = (await client.get(f"{URL}/enterprises/{complainant}/profile", headers=officer)).json()
    assert sorted(r["kind"] for r in mine["complaint_records"]) == sorted(kinds)
    assert {r["summary"]["party_role"] for r in mine["complaint_records"]} == {"complainant"}
    theirs = (await client.get(f"{URL}/enterprises/{respondent}/profile", headers=officer)).json()
    assert sorted(r["kind"] for r in theirs["complaint_records"]) == sorted(kinds)
    transferred = next(r for r in theirs["complaint_records"] if r["kind"] == "case_transferred")
    assert transferred["summary"]["department_id"] == "gs-620100-gov"
    # Below the province the complainant's records stay hidden; the respondent's are shown.
    county = bearer("county_officer", region="620102")
    seen = (await client.get(f"{URL}/enterprises/{complainant}/profile", headers=county)).json()
    assert seen["complaint_records"] == []
    seen = (await client.get(f"{URL}/enterprises/{respondent}/profile", headers=county)).json()
    assert len(seen["complaint_records"]) == len(STEPS)


async def test_a_case_event_for_an_enterprise_not_in_the_register_is_refused(
    client: httpx.AsyncClient,
) -> None:
    stranger = make_uscc(region="620102", body="CR000009")
    for verb in ("closed", "returned"):
        with pytest.raises(PermanentEventError):
            await deliver(client, case_event(verb, stranger, "respondent", 0))
