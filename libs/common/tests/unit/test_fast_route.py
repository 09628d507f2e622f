"""The shortcut for a polled GET route answers as the declared FastAPI route does.

Two apps with the same route, one with ``FastGetRoute`` in front of it, get the same requests:
every answer must be the same, and the ordinary ones must have come from the shortcut."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sme_common.api import reject_unknown_query_parameters
from sme_common.auth.dependencies import Authenticator, require
from sme_common.auth.keys import SIGNING_KEY_FILE, ensure_signing_key
from sme_common.auth.principal import Principal
from sme_common.auth.tokens import mint_token_from_file
from sme_common.auth.verify import JwtVerifier
from sme_common.errors import NotFound, install_problem_handlers
from sme_common.fast_route import FastGetRoute, RouteLabel
from sme_common.rules import RuleViolation
from sme_common.settings import AuthSettings

PATH = "/api/demo/v1/changes"
reader = require(roles=["bank"], scope="demo:read")


class ChangesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, pattern=r"^c[0-9]+$")
    limit: int = Field(default=500, ge=1, le=2000)


async def answer(request: Request, query: ChangesQuery, principal: Principal) -> Response:
    if query.cursor == "c404":
        raise NotFound("cursor_gone", "The cursor is gone", "游标已失效")
    if query.cursor == "c422":
        raise RuleViolation("cursor_ahead", "Ahead", "游标超前", field="cursor")
    via = "shortcut" if isinstance(request.scope.get("route"), RouteLabel) else "fastapi"
    body = {"cursor": query.cursor, "limit": query.limit, "subject": principal.subject}
    return JSONResponse(body, headers={"X-Answered-By": via})


def demo_app(keys: Path, *, shortcut: bool) -> FastAPI:
    app = FastAPI()
    app.state.authenticator = Authenticator(JwtVerifier(AuthSettings(jwks_file=keys / "jwks.json")))
    install_problem_handlers(app)

    @app.get(PATH, dependencies=[Depends(reject_unknown_query_parameters)])
    async def changes(
        request: Request,
        query: Annotated[ChangesQuery, Query()],
        principal: Annotated[Principal, Depends(reader)],
    ) -> Response:
        return await answer(request, query, principal)

    if shortcut:
        app.add_middleware(
            FastGetRoute, path=PATH, requirement=reader, query_model=ChangesQuery, endpoint=answer
        )
    return app


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    ensure_signing_key(directory)
    return directory


def bearer(keys: Path, *, roles: list[str], scopes: list[str]) -> dict[str, str]:
    token = mint_token_from_file(
        keys / SIGNING_KEY_FILE,
        subject="client-bank-1",
        roles=roles,
        region="620000",
        scopes=scopes,
        client_id="client-bank-1",
    )
    return {"Authorization": f"Bearer {token}"}


ORDINARY = ["", "?limit=20", "?cursor=c7", "?cursor=c7&limit=2000"]
DELEGATED = [
    "?limit=0",  # the model refuses: the route's 422 with its field
    "?limit=x",
    "?cursor=",
    "?cursor=nope",
    "?limit=5&limit=6",  # a name twice: FastAPI reads one value
    "?other=1",  # a name the route does not know
    "?cursor=c7&other=",
]


async def answers(
    keys: Path, method: str, query: str, headers: dict[str, str]
) -> list[tuple[int, bytes, str | None, str | None]]:
    got = []
    for shortcut in (False, True):
        transport = httpx.ASGITransport(app=demo_app(keys, shortcut=shortcut))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            response = await client.request(method, PATH + query, headers=headers)
        got.append(
            (
                response.status_code,
                response.content,
                response.headers.get("content-type"),
                response.headers.get("x-answered-by"),
            )
        )
    return got


@pytest.mark.parametrize("query", ORDINARY)
async def test_an_ordinary_request_is_answered_by_the_shortcut_as_the_route_answers(
    keys: Path, query: str
) -> None:
    plain, fast = await answers(
        keys, "GET", query, bearer(keys, roles=["bank"], scopes=["demo:read"])
    )
    assert plain[0] == 200
    assert fast[:3] == plain[:3]
    assert (plain[3], fast[3]) == ("fastapi", "shortcut")


@pytest.mark.parametrize("query", DELEGATED)
async def test_what_the_route_answers_better_goes_on_to_it(keys: Path, query: str) -> None:
    plain, fast = await answers(
        keys, "GET", query, bearer(keys, roles=["bank"], scopes=["demo:read"])
    )
    assert fast == plain
    assert plain[0] in (200, 422)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer not-a-token"}, 401),
        ("other role", 403),
        ("no scope", 403),
    ],
)
@pytest.mark.parametrize("query", ["", "?limit=0", "?cursor=c404", "?cursor=c422"])
async def test_refusals_are_the_same_problems(
    keys: Path, headers: dict[str, str] | str, status: int, query: str
) -> None:
    if headers == "other role":
        headers = bearer(keys, roles=["insurer"], scopes=["demo:read"])
    elif headers == "no scope":
        headers = bearer(keys, roles=["bank"], scopes=[])
    assert isinstance(headers, dict)
    plain, fast = await answers(keys, "GET", query, headers)
    assert fast == plain
    assert plain[0] == status
    assert plain[2] == "application/problem+json"


@pytest.mark.parametrize(("query", "status"), [("?cursor=c404", 404), ("?cursor=c422", 422)])
async def test_an_endpoint_refusal_is_the_same_problem(keys: Path, query: str, status: int) -> None:
    plain, fast = await answers(
        keys, "GET", query, bearer(keys, roles=["bank"], scopes=["demo:read"])
    )
    assert fast == plain
    assert plain[0] == status
    assert plain[2] == "application/problem+json"


@pytest.mark.parametrize("method", ["POST", "HEAD", "DELETE"])
async def test_other_methods_go_on_to_the_app(keys: Path, method: str) -> None:
    plain, fast = await answers(
        keys, method, "", bearer(keys, roles=["bank"], scopes=["demo:read"])
    )
    assert fast == plain
    assert plain[0] == 405
