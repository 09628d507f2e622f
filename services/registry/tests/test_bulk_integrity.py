"""Bulk import holds to the API's rules: the importer's region scope, the request models' limits
and text hygiene, every event checked against its schema, and no job failed by caller data."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import text

from services.registry.tests.bulk_support import (
    URL,
    error_rows,
    run_import,
    scalar,
    to_csv,
)
from sme_common import clock
from sme_common.db import UnitOfWork
from sme_common.events.schemas import validate_event_data
from sme_common.ids import make_uscc
from sme_common.testing.plugin import TokenFactory
from sme_registry.bulk.importer import ValidRow, apply_chunk
from sme_registry.bulk.service import scope_of

TIANSHUI = make_uscc(region="620502", body="TA000001")
REGISTER = ["uscc", "name", "legal_representative", "region_code"]


async def outbox_types(client: httpx.AsyncClient) -> list[str]:
    async with client.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        rows = await session.execute(text("SELECT event_type FROM outbox_message ORDER BY id"))
        return [r[0] for r in rows]


async def test_an_import_cannot_take_over_an_enterprise_outside_the_importers_region(
    bulk: httpx.AsyncClient, officer: dict[str, str], bearer: TokenFactory
) -> None:
    await run_import(bulk, officer, to_csv([[TIANSHUI, "天水甲公司", "张三", "620502"]], REGISTER))
    lanzhou_city = bearer("city_officer", region="620100", subject="lanzhou-importer")
    lanzhou_agency = bearer(
        "agency_system", region="620100", scopes=("registry:write", "registry:read")
    )
    for importer in (lanzhou_city, lanzhou_agency):
        job = await run_import(
            bulk, importer, to_csv([[TIANSHUI, "接管公司", "李四", "620102"]], REGISTER)
        )
        assert (job["status"], job["updated_rows"], job["error_rows"]) == (
            "completed_with_errors",
            0,
            1,
        )
        errors = await error_rows(bulk, importer, job["id"])
        assert [(e["row_number"], e["field"], e["code"]) for e in errors] == [
            ("2", "region_code", "region_forbidden")
        ]
        history = await bulk.get(f"{URL}/enterprises/{TIANSHUI}/history", headers=importer)
        assert history.status_code == 404
    entry = (await bulk.get(f"{URL}/enterprises/{TIANSHUI}", headers=officer)).json()
    assert (entry["name"], entry["region_code"], entry["version"]) == ("天水甲公司", "620502", 1)
    assert await outbox_types(bulk) == ["registry.enterprise.registered.v1"]


async def test_new_rows_outside_the_importers_region_are_refused(
    bulk: httpx.AsyncClient, bearer: TokenFactory
) -> None:
    lanzhou_city = bearer("city_officer", region="620100", subject="lanzhou-importer")
    job = await run_import(
        bulk, lanzhou_city, to_csv([[TIANSHUI, "天水甲公司", "", "620502"]], REGISTER)
    )
    errors = await error_rows(bulk, lanzhou_city, job["id"])
    assert [(e["field"], e["code"]) for e in errors] == [("region_code", "region_forbidden")]
    assert await scalar(bulk, "SELECT count(*) FROM enterprise") == 0


async def test_every_row_passes_the_apis_field_limits_and_text_rules_as_a_row_error(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    usccs = [make_uscc(region="620102", body=f"AL00000{n}") for n in range(1, 9)]
    rows: list[list[object]] = [
        [usccs[0], "长" * 201, "", "620102"],  # an over-long first row
        [usccs[1], "兰州乙公司", "法" * 101, "620102"],
        [usccs[2], "兰州\x00丙公司", "", "620102"],
        [usccs[3], "兰州\u200b丁公司", "", "620102"],
        [usccs[4], "兰州\u202e戊公司", "", "620102"],
        [usccs[5], "兰州\n己公司", "", "620102"],
        [usccs[6], "兰州庚公司", "王五", "620102"],
        [usccs[7].lower(), "兰州示例（集团）", "", "６２０１０２"],
    ]
    job = await run_import(bulk, officer, to_csv(rows, REGISTER))
    assert job["status"] == "completed_with_errors", job
    assert (job["created_rows"], job["error_rows"], job["failure"]) == (2, 6, None)
    errors = await error_rows(bulk, officer, job["id"])
    assert [(e["row_number"], e["field"], e["code"]) for e in errors] == [
        ("2", "name", "string_too_long"),
        ("3", "legal_representative", "string_too_long"),
        ("4", "name", "text_control_character"),
        ("5", "name", "text_format_character"),
        ("6", "name", "text_format_character"),
        ("7", "name", "text_control_character"),
    ]
    assert all(e["detail_zh"] for e in errors)
    normalised = (await bulk.get(f"{URL}/enterprises/{usccs[7]}", headers=officer)).json()
    assert (normalised["region_code"], normalised["name"]) == ("620102", "兰州示例（集团）")
    async with bulk.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        events = (
            await session.execute(text("SELECT event_type, payload FROM outbox_message"))
        ).all()
    assert len(events) == 2
    for event_type, payload in events:
        validate_event_data(event_type, json.loads(payload))


async def test_every_event_of_a_chunk_is_checked_against_its_schema(
    bulk: httpx.AsyncClient,
) -> None:
    """Rows that reach the writer unchecked (here: built by hand) still cannot publish an event
    that breaks its contract, however many events of that type came before in the chunk."""
    good, bad = (make_uscc(region="620102", body=f"EA00000{n}") for n in (1, 2))

    def row(number: int, uscc: str, name: str) -> ValidRow:
        register = {
            "name": name,
            "legal_representative": None,
            "region_code": "620102",
            "reporting_unit_code": "620100",
            "industry_code": None,
            "founded_on": None,
            "operating_status": "operating",
        }
        return ValidRow(number, uscc, register, None)

    database = bulk.app.state.database  # type: ignore[attr-defined]
    async with UnitOfWork(database) as uow:
        result = await apply_chunk(
            uow.session,
            [row(2, good, "兰州甲公司"), row(3, bad, "长" * 300)],
            scope=scope_of("province:620000"),
            actor="test",
            now=clock.now(),
            today=clock.business_today(),
        )
        await uow.commit()
    assert result.created == 1
    assert [(n, e.code) for n, e in result.errors] == [(3, "row_not_publishable")]
    assert await scalar(bulk, "SELECT count(*) FROM enterprise") == 1
    assert await outbox_types(bulk) == ["registry.enterprise.registered.v1"]


async def test_a_row_the_csv_reader_cannot_split_is_a_row_error_and_the_job_goes_on(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    first, second = (make_uscc(region="620102", body=f"BG00000{n}") for n in (1, 2))
    rows: list[list[object]] = [
        [first, "兰州甲公司", "x" * 140_000, "620102"],
        [second, "兰州乙公司", "", "620102"],
    ]
    job = await run_import(bulk, officer, to_csv(rows, REGISTER))
    assert (job["status"], job["created_rows"], job["error_rows"]) == (
        "completed_with_errors",
        1,
        1,
    )
    errors = await error_rows(bulk, officer, job["id"])
    assert [(e["row_number"], e["code"]) for e in errors] == [("2", "row_unreadable")]


async def test_an_internal_failure_fails_the_job_with_a_reference_not_an_exception_name(
    bulk: httpx.AsyncClient, officer: dict[str, str]
) -> None:
    async with bulk.app.state.database.sessionmaker() as session:  # type: ignore[attr-defined]
        await session.execute(text("ALTER TABLE enterprise_revision RENAME TO moved_away"))
        await session.commit()
    job = await run_import(
        bulk, officer, to_csv([[TIANSHUI, "天水甲公司", "", "620502"]], REGISTER)
    )
    assert (job["status"], job["failure_code"]) == ("failed", "internal_error")
    assert "reference" in job["failure"]
    for internal in ("Error", "Exception", "psycopg", "sqlalchemy", "moved_away"):
        assert internal not in job["failure"]
