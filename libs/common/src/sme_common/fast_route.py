"""One GET route answered before FastAPI's routing and dependency solving, for a route every
client polls (finance-matching's delta pulls: issue 10, 100 institutions pulling at once).

Through FastAPI a request passes its exception, body-limit and telemetry middleware, a walk
over the included routers and the solving of the route's dependencies: ≈40 % of the
service's CPU on a delta pull (docs/benchmarks.md). ``FastGetRoute`` sits inside the request
id, the access log and the request guard (``ServiceDefinition.inner_middleware``) and answers
the route's ordinary requests with the route's own pieces (its role requirement, its query
model, its endpoint function). Everything else goes on to the app, where the declared route
answers it as documented: another method, a query parameter the model does not name or one
named twice, a value the model refuses (the 422 with its fields), and so the route's OpenAPI
operation, its error answers and its tests stay those of the FastAPI route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sme_common.api import query_model_names
from sme_common.auth.dependencies import RoleRequirement
from sme_common.auth.principal import Principal
from sme_common.errors import DomainError, invalid_input_from, problem_from
from sme_common.rules import RuleViolation

Endpoint = Callable[[Request, Any, Principal], Awaitable[Response]]


@dataclass(frozen=True)
class RouteLabel:
    """What ``scope["route"]`` holds for the metrics and the access log: the route's path, as a
    matched route's ``path``."""

    path: str


class FastGetRoute:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path: str,
        requirement: RoleRequirement,
        query_model: type[BaseModel],
        endpoint: Endpoint,
    ) -> None:
        self.app = app
        self.path = path
        self.label = RouteLabel(path)
        self.requirement = requirement
        self.query_model = query_model
        self.names = query_model_names(query_model)
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        query = self._query(scope.get("query_string", b""))
        if query is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.label
        request = Request(scope, receive)
        # The order FastAPI keeps: the requirement (a dependency) is solved before the endpoint
        # runs; a refusal of either is answered as the app's problem handlers answer it.
        try:
            principal = await self.requirement(request)
            response = await self.endpoint(request, query, principal)
        except DomainError as refused:
            response = problem_from(refused)
        except RuleViolation as violation:
            response = problem_from(invalid_input_from(violation))
        await response(scope, receive, send)

    def _query(self, query_string: bytes) -> BaseModel | None:
        """The query as the route's model, or None for anything the declared route answers
        better (Starlette's parsing, FastAPI's reading of one value per name)."""
        values: dict[str, str] = {}
        for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
            if name not in self.names or name in values:
                return None
            values[name] = value
        try:
            return self.query_model.model_validate(values)
        except ValidationError:
            return None
