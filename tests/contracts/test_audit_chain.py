"""The audit chain: sealed in commit order under concurrency, refused to the application role for
UPDATE/DELETE/TRUNCATE, and ``audit verify`` fails on any edit, deletion or reordering."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from sqlalchemy import text

from sme_certification.app import DEFINITION, create_app
from sme_common.audit.context import Actor, acting_as
from sme_common.audit.migrations import APP_ROLE
from sme_common.audit.verify import verify_chain
from sme_common.db import Database, UnitOfWork, to_sync_url
from sme_common.observability.tracing import request_id_var
from sme_common.runtime import service_cli
from sme_common.testing.plugin import DatabaseFactory

RECORDS = 6


async def write_records(url: str, count: int) -> None:
    database = Database.from_url(url, role=APP_ROLE)
    try:
        for n in range(count):
            with acting_as(Actor("officer-1", ("province_officer",), None)):
                request_id_var.set(f"req-{n}")
                async with UnitOfWork(database) as uow:
                    uow.audit("update", "thing", f"t{n}", {"value": n}, {"value": n + 1})
                    await uow.commit()
    finally:
        await database.dispose()


@pytest.fixture
def chain_url(database_factory: DatabaseFactory) -> str:
    url = database_factory.create("audit", DEFINITION.package)
    asyncio.run(write_records(url, RECORDS))
    return url


def tamper(url: str, *statements: str) -> None:
    """As the superuser with the append-only trigger switched off: what an intruder with the
    database's keys could do, and what the chain must reveal."""
    with psycopg.connect(to_sync_url(url), autocommit=False) as conn:
        conn.execute("SET session_replication_role = replica")
        for statement in statements:
            conn.execute(statement)
        conn.commit()


def run_verify(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    monkeypatch.setenv("SME_CERTIFICATION_DATABASE_URL", url)
    code = service_cli(DEFINITION, create_app, ["audit", "verify"])
    return code, capsys.readouterr().out


def test_audit_verify_accepts_an_intact_chain(
    chain_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_verify(chain_url, monkeypatch, capsys)
    assert code == 0, out
    assert f"{RECORDS} records checked" in out


@pytest.mark.parametrize(
    ("statements", "position", "reason"),
    [
        (
            ["UPDATE audit_record SET after = '{\"value\": 99}' WHERE position = 3"],
            3,
            "edited",
        ),
        (
            ["UPDATE audit_record SET actor_subject = 'someone-else' WHERE position = 1"],
            1,
            "edited",
        ),
        (["DELETE FROM audit_record WHERE position = 4"], 4, "deleted"),
        (
            [
                "UPDATE audit_record SET position = -2 WHERE position = 2",
                "UPDATE audit_record SET position = 2 WHERE position = 5",
                "UPDATE audit_record SET position = 5 WHERE position = -2",
            ],
            2,
            "moved",
        ),
        (
            # Rewriting the content and its own hash still breaks the link to the next record.
            [
                "UPDATE audit_record SET after = '{\"value\": 99}' WHERE position = 3",
                "UPDATE audit_record SET hash = encode(sha256(convert_to("
                "prev_hash || audit_canonical(audit_record), 'UTF8')), 'hex') WHERE position = 3",
            ],
            4,
            "moved",
        ),
    ],
    ids=["edit-content", "edit-actor", "delete", "reorder", "edit-and-rehash"],
)
def test_audit_verify_fails_where_the_chain_was_tampered_with(
    chain_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    statements: list[str],
    position: int,
    reason: str,
) -> None:
    tamper(chain_url, *statements)
    code, out = run_verify(chain_url, monkeypatch, capsys)
    assert code == 1, out
    assert f"BROKEN at position {position}" in out
    assert reason in out


def test_deleting_the_newest_records_is_found_against_a_kept_head(
    chain_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _code, out = run_verify(chain_url, monkeypatch, capsys)
    head = out.rsplit("head ", 1)[1].strip()
    tamper(chain_url, f"DELETE FROM audit_record WHERE position = {RECORDS}")
    monkeypatch.setenv("SME_CERTIFICATION_DATABASE_URL", chain_url)
    code = service_cli(DEFINITION, create_app, ["audit", "verify", "--expect-head", head])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "newest records were deleted" in out


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_record SET actor_subject = 'x'",
        "DELETE FROM audit_record",
        "TRUNCATE audit_record",
    ],
)
def test_the_application_role_may_not_change_or_remove_audit_records(
    chain_url: str, statement: str
) -> None:
    with psycopg.connect(to_sync_url(chain_url)) as conn:
        conn.execute(f"SET ROLE {APP_ROLE}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_record SET actor_subject = 'x'", "DELETE FROM audit_record"]
)
def test_even_the_owner_is_stopped_by_the_append_only_trigger(
    chain_url: str, statement: str
) -> None:
    with psycopg.connect(to_sync_url(chain_url)) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)


async def test_concurrent_writers_form_one_unbroken_chain(
    database_factory: DatabaseFactory,
) -> None:
    url = database_factory.create("audit_concurrent", DEFINITION.package)
    await asyncio.gather(*(write_records(url, 5) for _ in range(8)))
    database = Database.from_url(url)
    try:
        report = await verify_chain(database)
        async with database.engine.connect() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM audit_record"))).scalar()
    finally:
        await database.dispose()
    assert report.ok, report.summary()
    assert report.checked == count == 40


async def test_each_record_names_its_actor_and_request(chain_url: str) -> None:
    database = Database.from_url(chain_url)
    try:
        async with database.engine.connect() as connection:
            row = (
                await connection.execute(text("SELECT * FROM audit_record WHERE position = 2"))
            ).one()
    finally:
        await database.dispose()
    assert (row.actor_subject, row.actor_roles, row.request_id) == (
        "officer-1",
        ["province_officer"],
        "req-1",
    )
    assert (row.action, row.resource_type, row.resource_id) == ("update", "thing", "t1")
    assert (row.before, row.after) == ({"value": 1}, {"value": 2})
