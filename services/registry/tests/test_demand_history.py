"""The enterprise's demands (complaints' 诉求工作台账, ``complaints.demand.*``) on its profile:
recorded in the history, apart from the complaint records, seen by whoever sees the enterprise."""

from __future__ import annotations

import httpx
import pytest

from services.registry.tests.support import register_enterprise
from services.registry.tests.test_flags_pools_people import deliver
from sme_common.events.consumer import Outcome, PermanentEventError
from sme_common.events.envelope import CloudEvent
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory

URL = "/api/registry/v1"


def demand_event(verb: str, uscc: str, at: str, **data: object) -> CloudEvent:
    return CloudEvent(
        type=f"complaints.demand.{verb}.v1",
        source="/sme/complaints",
        subject=uscc,
        data={
            "demand_id": "dem_0123456789abcdef",
            "uscc": uscc,
            "topic_code": "land",
            "status": {"recorded": "recorded", "closed": "closed"}.get(verb, "assigned"),
            "occurred_at": at,
            **data,
        },
    )


async def test_the_profile_shows_the_enterprises_demands_from_recorded_to_closed(
    client: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    officer = bearer("province_officer", region="620000")
    uscc = await register_enterprise(client, officer, "DH000001")
    department = {"department_id": "gs-620100-land"}
    for event in (
        demand_event("recorded", uscc, "2026-09-23T10:00:00+08:00"),
        demand_event("assigned", uscc, "2026-09-24T10:00:00+08:00", **department),
        demand_event(
            "overdue",
            uscc,
            "2026-10-15T00:10:00+08:00",
            deadline="answer",
            due_on="2026-10-14",
            escalated_to="gs-province-sme",
            **department,
        ),
        demand_event("answered", uscc, "2026-10-16T10:00:00+08:00", **department),
        demand_event("reopened", uscc, "2026-10-17T10:00:00+08:00", **department),
        demand_event("answered", uscc, "2026-10-20T10:00:00+08:00", **department),
        demand_event("closed", uscc, "2026-10-21T10:00:00+08:00", **department),
    ):
        assert await deliver(client, event) is Outcome.APPLIED, event.type
    for headers in (officer, bearer("county_officer", region="620102")):
        profile = (await client.get(f"{URL}/enterprises/{uscc}/profile", headers=headers)).json()
        assert sorted(r["kind"] for r in profile["demand_records"]) == sorted(
            [
                "demand_recorded",
                "demand_assigned",
                "demand_overdue",
                "demand_answered",
                "demand_reopened",
                "demand_answered",
                "demand_closed",
            ]
        )
        assert profile["complaint_records"] == []
    outsider = bearer("county_officer", region="620503")
    assert (
        await client.get(f"{URL}/enterprises/{uscc}/profile", headers=outsider)
    ).status_code == 404


async def test_a_demand_of_an_enterprise_not_in_the_register_is_refused_for_good(
    client: httpx.AsyncClient,
) -> None:
    stranger = make_uscc(region="620102", body="DH000099")
    event = demand_event("recorded", stranger, "2026-09-23T10:00:00+08:00")
    with pytest.raises(PermanentEventError, match="not in the register"):
        await deliver(client, event)
