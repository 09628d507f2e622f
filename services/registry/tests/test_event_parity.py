"""The same change made through the API and through the importer is announced with the same events:
one register, two paths, one set of builders (``enterprises/events.py``, ``facts/events.py``,
``sizing/events.py``), which the importer's planner (``bulk/domain.py``) calls as the services do.

Each path runs on its own database, step by step: register an enterprise, rename it (and change its
legal representative), file a year's facts (the size class is decided), correct them (the class
changes). After each step the events each path wrote are compared. What must differ, and why:
- the event's ``id`` (every event is a new one) and its ``time``; the instants in the data
  (``registered_at``, ``updated_at``, ``filed_at``, ``decided_at``): each is the moment that path
  made the change, and the two paths run at different moments. They are checked to be aware RFC 3339
  timestamps written the same way (``isoformat``: offset spelled out), then set aside;
- facts-filed ``source`` and ``facts.source``: the provenance of the figures. The API files what
  the caller declares (here ``statistics``), the importer stamps ``import`` (the figures came from a
  file, whoever declared them): checked to be exactly those, then set aside;
- the trace (``traceparent``, ``correlationid``): the API's events carry the request's, the import
  job's events the worker's.
Everything else (type, topic, key, source, dataschema, every other data field) is equal.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text

from services.registry.tests.bulk_support import URL, run_import, to_csv
from sme_common.ids import make_uscc

USCC = make_uscc(region="620102", body="PY000001")
INSTANTS = ("registered_at", "updated_at", "filed_at", "decided_at")
API_SOURCE = "statistics"
ENVELOPE = ("ce_type", "ce_source", "ce_subject", "ce_dataschema", "content-type")
IMPORT_COLUMNS = [
    "uscc",
    "name",
    "legal_representative",
    "region_code",
    "industry_code",
    "founded_on",
    "year",
    "employees",
    "operating_revenue_yuan",
    "total_assets_yuan",
    "rd_staff",
]
REGISTER = {
    "uscc": USCC,
    "name": "兰州对照机械制造有限公司",
    "legal_representative": "张三",
    "region_code": "620102",
    "industry_code": "C3411",
    "founded_on": "2015-06-01",
}
RENAMED = {**REGISTER, "name": "兰州对照智能装备有限公司", "legal_representative": "李四"}
# 工业 (300号): 120 persons and 3,000万元 are small; 400 persons and 5,000万元 medium.
SMALL = {"employees": 120, "operating_revenue_fen": 3_000_000_000, "total_assets_fen": 10**9}
MEDIUM = {"employees": 400, "operating_revenue_fen": 5_000_000_000, "total_assets_fen": 2 * 10**9}
FACTS_2025 = {**SMALL, "rd_staff": 12}
CORRECTED_2025 = {**MEDIUM, "rd_staff": 40}


async def outbox(database_holder: httpx.AsyncClient) -> list[dict[str, Any]]:
    database = database_holder.app.state.database  # type: ignore[attr-defined]
    async with database.sessionmaker() as session:
        rows = await session.execute(
            text("SELECT topic, key, headers, payload FROM outbox_message ORDER BY id")
        )
        return [
            {
                "topic": row.topic,
                "key": row.key,
                "headers": dict(row.headers),
                "data": json.loads(row.payload),
            }
            for row in rows
        ]


def comparable(event: dict[str, Any], provenance: str) -> dict[str, Any]:
    """The event without what must differ between the paths (module docstring), after checking
    those parts have the expected form."""
    data = copy.deepcopy(event["data"])
    for name in INSTANTS:
        if name in data:
            instant = datetime.fromisoformat(data.pop(name))
            assert instant.tzinfo is not None and instant.isoformat().endswith("+00:00"), name
    if event["headers"]["ce_type"] == "registry.enterprise.facts-filed.v1":
        assert data.pop("source") == data["facts"].pop("source") == provenance
    return {
        "topic": event["topic"],
        "key": event["key"],
        "envelope": {name: event["headers"].get(name) for name in ENVELOPE},
        "data": data,
    }


def csv_row(register: dict[str, str], facts: dict[str, int] | None = None) -> list[object]:
    values: dict[str, object] = {**register}
    if facts is not None:
        values.update(
            year=2025,
            employees=facts["employees"],
            operating_revenue_yuan=facts["operating_revenue_fen"] // 100,
            total_assets_yuan=facts["total_assets_fen"] // 100,
            rd_staff=facts["rd_staff"],
        )
    return [values.get(column, "") for column in IMPORT_COLUMNS]


async def test_the_api_and_the_importer_announce_the_same_change_with_the_same_events(
    client: httpx.AsyncClient, bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    async def by_api(step: Callable[[], Any]) -> list[dict[str, Any]]:
        before = len(await outbox(client))
        response = await step()
        assert response.status_code in (200, 201), response.text
        return (await outbox(client))[before:]

    async def by_import(row: list[object]) -> list[dict[str, Any]]:
        before = len(await outbox(bulk))
        job = await run_import(bulk, officer, to_csv([row], IMPORT_COLUMNS))
        assert (job["status"], job["error_rows"]) == ("completed", 0), job
        return (await outbox(bulk))[before:]

    def put_facts(values: dict[str, int], version: int | None) -> Callable[[], Any]:
        body = {**values, "source": API_SOURCE, "version": version}
        return lambda: client.put(
            f"{URL}/enterprises/{USCC}/facts/2025", headers=officer, json=body
        )

    steps = [
        (
            "register",
            lambda: client.post(f"{URL}/enterprises", headers=officer, json=REGISTER),
            csv_row(REGISTER),
            ["registry.enterprise.registered.v1"],
        ),
        (
            "rename",
            lambda: client.patch(
                f"{URL}/enterprises/{USCC}",
                headers=officer,
                json={
                    "version": 1,
                    "name": RENAMED["name"],
                    "legal_representative": RENAMED["legal_representative"],
                },
            ),
            csv_row(RENAMED),
            ["registry.enterprise.updated.v1"],
        ),
        (
            "file facts",
            put_facts(FACTS_2025, None),
            csv_row(RENAMED, FACTS_2025),
            ["registry.enterprise.facts-filed.v1", "registry.enterprise.size-class-changed.v1"],
        ),
        (
            "correct facts",
            put_facts(CORRECTED_2025, 1),
            csv_row(RENAMED, CORRECTED_2025),
            ["registry.enterprise.facts-filed.v1", "registry.enterprise.size-class-changed.v1"],
        ),
    ]
    for name, api_step, import_row, expected_types in steps:
        api_events = await by_api(api_step)
        imported = await by_import(import_row)
        assert [e["headers"]["ce_type"] for e in api_events] == expected_types, name
        assert [e["headers"]["ce_type"] for e in imported] == expected_types, name
        for api_event, import_event in zip(api_events, imported, strict=True):
            assert api_event["headers"]["ce_id"] != import_event["headers"]["ce_id"]
            assert comparable(api_event, API_SOURCE) == comparable(import_event, "import"), name

    # The steps did what they say (so the comparison above compared something).
    last = (await outbox(client))[-1]["data"]
    assert (last["previous_size_class"], last["size_class"]) == ("small", "medium")
    renamed = next(
        e["data"] for e in await outbox(bulk) if e["headers"]["ce_type"].endswith("updated.v1")
    )
    assert renamed["changed_fields"] == ["legal_representative", "name"]
    assert renamed["former_names"][0]["name"] == REGISTER["name"]
