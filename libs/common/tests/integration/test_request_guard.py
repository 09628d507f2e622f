"""No 500 for anything a caller can send, and no body read before it is known to be wanted: the
checks every service gets from ``create_service_app`` (request_guard.py, errors.py), on a small
service whose handlers write to a real PostgreSQL table without checks of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import psycopg
import pytest
import pytest_asyncio
from fastapi import APIRouter, Depends, Form, Request, UploadFile
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from structlog.testing import capture_logs

from sme_common.auth import Principal
from sme_common.auth.dependencies import require
from sme_common.db import Database, UnitOfWork
from sme_common.db.engine import to_sync_url
from sme_common.openapi import PUBLIC
from sme_common.runtime import ServiceDefinition, create_service_app
from sme_common.settings import AuthSettings, KafkaSettings, ServiceSettings
from sme_common.testing.plugin import DatabaseFactory, TokenFactory

URL = "/api/guard/v1"
SECRET = "110101199003071234"  # an ID number: personal data that must never reach a log line
officer = require(roles=["province_officer"])


class Thing(BaseModel):
    name: str
    notes: dict[str, Any] | None = None


router = APIRouter()


@router.post("/things", status_code=201)
async def create_thing(
    request: Request, body: Thing, _p: Annotated[Principal, Depends(officer)]
) -> dict[str, str]:
    # Deliberately unguarded: the insert meets the unique key in PostgreSQL, not a check here.
    async with UnitOfWork(request.app.state.database) as uow:
        await uow.session.execute(text("INSERT INTO thing (name) VALUES (:n)"), {"n": body.name})
        await uow.commit()
    return {"name": body.name}


@router.post("/things/form", status_code=201)
async def create_thing_from_a_form(
    request: Request, name: Annotated[str, Form()], _p: Annotated[Principal, Depends(officer)]
) -> dict[str, str]:
    return await create_thing(request, Thing(name=name), _p)


@router.get("/things/{name}")
async def read_thing(
    request: Request, name: str, _p: Annotated[Principal, Depends(officer)], length: str = "0"
) -> dict[str, int]:
    # Deliberately unchecked: a length that is no number fails in PostgreSQL, quoting it.
    async with request.app.state.database.reading() as db:
        found = await db.execute(
            text("SELECT count(*) FROM thing WHERE name = :n OR length(name) = CAST(:l AS int)"),
            {"n": name, "l": length},
        )
        return {"count": int(found.scalar_one())}


@router.post("/uploads", status_code=201)
async def upload(file: UploadFile, _p: Annotated[Principal, Depends(officer)]) -> dict[str, int]:
    return {"size": len(await file.read())}


@router.post("/public/echo", status_code=201, openapi_extra=PUBLIC)
async def public_echo(body: Thing) -> dict[str, str]:
    """A public write (as a public objection to a certification notice): no token."""
    return {"name": body.name}


DEFINITION = ServiceDefinition(
    name="guard",
    package="sme_common",
    title="guard",
    routers=[router],
    settings_factory=ServiceSettings,
)


@pytest.fixture(scope="module")
def database_url(database_factory: DatabaseFactory) -> str:
    # A service database (outbox, inbox, audit) with one table of the test's own.
    url = database_factory.create("guard", "sme_certification")
    with psycopg.connect(to_sync_url(url), autocommit=True) as conn:
        conn.execute("CREATE TABLE thing (name text PRIMARY KEY)")
    return url


@pytest_asyncio.fixture
async def client(database_url: str, auth_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = ServiceSettings(
        database_url=database_url,  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        auth=AuthSettings(jwks_file=auth_dir / "jwks.json"),
        run_workers=False,
        max_body_bytes=2048,
        body_limits={f"{URL}/uploads": 64 * 1024},
    )
    app = create_service_app(DEFINITION, settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as http:
        yield http
    await app.state.database.dispose()


@pytest.fixture
def officer_token(bearer: TokenFactory) -> dict[str, str]:
    return bearer("province_officer", region="620000")


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["detail_zh"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "a\x00b"}, "name"),
        ({"name": "ok", "notes": {"deep": ["x", "y\x00"]}}, "notes.deep.1"),
        ({"name": "ok", "notes": {"k\x00": 1}}, "notes.k\ufffd"),
    ],
)
async def test_a_nul_character_anywhere_in_a_json_body_is_a_422_naming_the_field(
    client: httpx.AsyncClient, officer_token: dict[str, str], payload: Any, field: str
) -> None:
    response = await client.post(f"{URL}/things", json=payload, headers=officer_token)
    body = assert_problem(response, 422, "text_nul_character")
    assert body["field"] == field


async def test_a_nul_character_the_guard_does_not_read_is_still_a_422_not_a_500(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    """Form fields and upload file names reach the handler unread; psycopg refuses the NUL."""
    response = await client.post(
        f"{URL}/things/form", data={"name": "a\x00b"}, headers=officer_token
    )
    assert_problem(response, 422, "text_nul_character")


async def test_an_unpaired_surrogate_in_a_json_body_is_a_422(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    response = await client.post(
        f"{URL}/things",
        content=b'{"name": "x\\ud800y"}',
        headers={**officer_token, "content-type": "application/json"},
    )
    assert assert_problem(response, 422, "text_unpaired_surrogate")["field"] == "name"
    # A proper pair is text like any other, and so is an escaped backslash before "u0000".
    for raw in (b'{"name": "\\ud83d\\ude00"}', b'{"name": "a\\\\u0000"}'):
        ok = await client.post(
            f"{URL}/things",
            content=raw,
            headers={**officer_token, "content-type": "application/json"},
        )
        assert ok.status_code == 201, ok.text


async def test_a_nul_character_in_the_query_or_the_path_is_a_422(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    in_query = await client.get(f"{URL}/things/x?length=a%00b", headers=officer_token)
    assert assert_problem(in_query, 422, "text_nul_character")["field"] == "length"
    in_path = await client.get(f"{URL}/things/a%00b", headers=officer_token)
    assert assert_problem(in_path, 422, "text_nul_character")["field"] == "path"


async def test_a_concurrent_duplicate_insert_is_a_409_not_a_500(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    first = await client.post(f"{URL}/things", json={"name": "twice"}, headers=officer_token)
    assert first.status_code == 201
    again = await client.post(f"{URL}/things", json={"name": "twice"}, headers=officer_token)
    assert_problem(again, 409, "conflict_duplicate")


async def test_error_logs_carry_neither_sql_parameters_nor_the_server_detail(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    name = f"person {SECRET}"
    await client.post(f"{URL}/things", json={"name": name}, headers=officer_token)
    with capture_logs() as logs:
        again = await client.post(f"{URL}/things", json={"name": name}, headers=officer_token)
        # PostgreSQL's message quotes the value it could not cast: an unexpected error here.
        cast = await client.get(
            f"{URL}/things/x", params={"length": f"id {SECRET}"}, headers=officer_token
        )
    assert again.status_code == 409
    assert cast.status_code == 500
    logged = [entry for entry in logs if entry["event"].startswith("unhandled_")]
    assert {entry["sqlstate"] for entry in logged} == {"23505", "22P02"}
    assert all(entry["constraint"] in ("thing_pkey", None) for entry in logged)
    assert SECRET not in repr(logs)
    assert not any("exc_info" in entry for entry in logged)  # no rendering of the message
    assert all("test_request_guard.py" in entry["traceback"] for entry in logged)


async def test_database_errors_do_not_carry_their_sql_parameters(database_url: str) -> None:
    database = Database.from_url(database_url)
    try:
        with pytest.raises(DBAPIError) as raised:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT CAST(:p AS text), 1 / 0"), {"p": SECRET})
        assert "division by zero" in str(raised.value)
        assert SECRET not in str(raised.value)
    finally:
        await database.dispose()


async def test_a_body_without_a_token_is_refused_before_it_is_read(
    client: httpx.AsyncClient,
) -> None:
    chunks_sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        for _ in range(10_000):
            chunks_sent += 1
            yield b"[1,"

    response = await client.post(
        f"{URL}/things", content=endless(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 401, "token_missing")
    assert chunks_sent <= 1


async def test_a_body_over_the_route_limit_is_a_413_without_reading_the_rest(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    declared = await client.post(f"{URL}/things", json={"name": "x" * 4096}, headers=officer_token)
    assert_problem(declared, 413, "payload_too_large")
    chunks_sent = 0

    async def streamed(head: bytes) -> AsyncIterator[bytes]:
        nonlocal chunks_sent
        yield head
        for _ in range(10_000):
            chunks_sent += 1
            yield b"x" * 512

    json_head = (b'{"name": "', "application/json")
    file_head = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n',
        "multipart/form-data; boundary=b",
    )
    for path, (head, content_type) in ((f"{URL}/things", json_head), (f"{URL}/uploads", file_head)):
        chunks_sent = 0
        response = await client.post(
            path, content=streamed(head), headers={**officer_token, "content-type": content_type}
        )
        assert_problem(response, 413, "payload_too_large")
        assert chunks_sent < 200, path


async def test_an_upload_route_takes_the_larger_limit_it_declares(
    client: httpx.AsyncClient, officer_token: dict[str, str]
) -> None:
    response = await client.post(
        f"{URL}/uploads", files={"file": ("a.csv", b"x" * 32_000)}, headers=officer_token
    )
    assert response.status_code == 201, response.text
    assert response.json() == {"size": 32_000}


async def test_a_public_route_takes_a_small_body_without_a_token_and_nothing_larger(
    client: httpx.AsyncClient,
) -> None:
    taken = await client.post(f"{URL}/public/echo", json={"name": "公开"})
    assert taken.status_code == 201, taken.text
    assert_problem(
        await client.post(f"{URL}/public/echo", json={"name": "x" * 3000}),
        413,
        "payload_too_large",
    )
    # Everywhere else, still no body without a token.
    assert_problem(await client.post(f"{URL}/things", json={"name": "n"}), 401, "token_missing")
