"""An ASGI app that hands each request to the service owning its path prefix, and runs every
service's lifespan (so each keeps its own relay and consumers) inside its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from sme_common.errors import problem


class PrefixDispatcher:
    def __init__(self, apps: Mapping[str, FastAPI], root: FastAPI) -> None:
        # Longest prefix first, so "/api/auth" never shadows a longer one.
        self.apps = sorted(apps.items(), key=lambda item: -len(item[0]))
        self.root = root

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for _prefix, app in self.apps:
                await stack.enter_async_context(app.router.lifespan_context(app))
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        path: str = scope.get("path", "")
        for prefix, app in self.apps:
            if path == prefix or path.startswith(prefix + "/"):
                await app(scope, receive, send)
                return
        await self.root(scope, receive, send)

    async def _serve_lifespan(self, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "lifespan.startup"
        async with contextlib.AsyncExitStack() as stack:
            try:
                await stack.enter_async_context(self.lifespan())
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
            assert message["type"] == "lifespan.shutdown"
        await send({"type": "lifespan.shutdown.complete"})


def not_found_root() -> FastAPI:
    root = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @root.get("/")
    async def index() -> JSONResponse:
        return JSONResponse(
            {"services": "/api/<service>/openapi.json", "auth": "/api/auth/v1/token"}
        )

    @root.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def unknown(path: str) -> JSONResponse:
        return problem(
            status=404,
            code="not_found",
            title="Not found",
            detail=f"No service serves /{path}",
            detail_zh="请求的路径不存在",
        )

    return root
