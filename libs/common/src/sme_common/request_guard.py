"""What every request to a service passes before any handler (and so the database) sees it.

- Text PostgreSQL cannot store: a NUL character, or half of a UTF-16 surrogate pair (``\\ud800``
  alone), in the path, in a query parameter or in any string of a JSON body is a 422 naming the
  field. Left alone, each one reaches a query and fails there as a 500.
- Size: a request body is counted as it arrives and refused with 413 ``payload_too_large`` as soon
  as it passes its route's limit, without reading the rest: ``max_body_bytes`` for every route
  (JSON calls are small) unless ``body_limits`` names the route's path prefix (an upload).
- Token first: a request with a body to a protected route must carry a valid bearer token before
  its body is read, so that nobody without one can make a service read and parse megabytes.
  The route's own dependency still decides the role and scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sme_common.auth.dependencies import Authenticator
from sme_common.errors import DomainError, InvalidInput, problem_from

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# In JSON text these characters can only arrive escaped; a body without such an escape is not parsed.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def unstorable_text_error(value: str, field: str) -> InvalidInput | None:
    """The 422 for text holding a character PostgreSQL cannot store, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    position = found.start() + 1
    field = _UNSTORABLE.sub("\ufffd", field)
    if found.group() == "\x00":
        return InvalidInput(
            "text_nul_character",
            f"{field}: the NUL character (U+0000) at position {position} is not allowed",
            f"{field}：第 {position} 个字符是空字符（U+0000），不允许出现",
            field=field,
        )
    return InvalidInput(
        "text_unpaired_surrogate",
        f"{field}: an unpaired UTF-16 surrogate at position {position} is not valid text",
        f"{field}：第 {position} 个字符是不成对的代理字符，不是有效文本",
        field=field,
    )


def _json_text_error(document: Any) -> InvalidInput | None:
    """The first string (key or value) of a parsed JSON document PostgreSQL cannot store.
    Walked with a stack, not recursion: the nesting is the caller's to choose."""
    stack: list[tuple[tuple[str, ...], Any]] = [((), document)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            error = unstorable_text_error(value, ".".join(path) or "body")
            if error is not None:
                return error
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                error = unstorable_text_error(key, ".".join((*path, key)))
                if error is not None:
                    return error
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in reversed(list(enumerate(value))))
    return None


class PayloadTooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes its limit; FastAPI hands it to the
    problem handler like any HTTP error, whoever was reading."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds the limit of {limit} bytes")
        self.limit = limit


def _too_large(limit: int) -> DomainError:
    return DomainError(
        "payload_too_large",
        f"The request body exceeds the limit of {limit} bytes for this route",
        f"请求体超过此接口允许的 {limit} 字节上限",
        status=413,
    )


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class RequestGuardMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_limits: Mapping[str, int] | None = None,
        authenticator: Authenticator | None = None,
        protected_prefix: str = "/",
        open_prefix: str | None = None,
        open_body_bytes: int = 16_384,
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.protected_prefix = protected_prefix
        # Routes under ``open_prefix`` (``/api/<service>/v1/public/``: the public operations,
        # ``sme_common.openapi.PUBLIC``) take a body without a token — a public objection to a
        # notice — but only a small one (``open_body_bytes``), since anyone may send it.
        self.open_prefix = open_prefix
        self.open_body_bytes = open_body_bytes
        self.max_body_bytes = max_body_bytes
        # Longest prefix first, so a route's own limit wins over its parent's.
        self.body_limits = sorted((body_limits or {}).items(), key=lambda item: -len(item[0]))

    def _is_open(self, path: str) -> bool:
        return self.open_prefix is not None and path.startswith(self.open_prefix)

    def limit_for(self, path: str) -> int:
        if self._is_open(path):
            return min(self.open_body_bytes, self.max_body_bytes)
        for prefix, limit in self.body_limits:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                return limit
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = self._text_error(scope)
        if error is not None:
            await problem_from(error)(scope, receive, send)
            return
        headers = Headers(scope=scope)
        content_length = _content_length(headers)
        if not content_length and "transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.limit_for(path)
        if content_length is not None and content_length > limit:
            await problem_from(_too_large(limit))(scope, receive, send)
            return
        if (
            self.authenticator is not None
            and path.startswith(self.protected_prefix)
            and not self._is_open(path)
        ):
            try:
                await self.authenticator.principal(Request(scope))
            except DomainError as refused:
                await problem_from(refused)(scope, receive, send)
                return
        if _is_json(headers.get("content-type", "")):
            await self._json_request(scope, receive, send, limit)
        else:
            await self._streamed_request(scope, receive, send, limit)

    def _text_error(self, scope: Scope) -> InvalidInput | None:
        error = unstorable_text_error(scope["path"], "path")
        if error is not None:
            return error
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            error = unstorable_text_error(name, "query") or unstorable_text_error(value, name)
            if error is not None:
                return error
        return None

    async def _json_request(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read the whole (small) JSON body first, so that its strings are checked before any
        handler runs; the app then reads the same bytes."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await problem_from(_too_large(limit))(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _UNSTORABLE_ESCAPE.search(body):
            try:
                document = json.loads(body)
            except (ValueError, RecursionError):
                document = None  # the app answers malformed JSON itself
            error = _json_text_error(document)
            if error is not None:
                await problem_from(error)(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _streamed_request(
        self, scope: Scope, receive: Receive, send: Send, limit: int
    ) -> None:
        size = 0
        started = False

        async def counted() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    raise PayloadTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge:
            # Read outside a route (none would): answer here unless an answer is under way.
            if started:
                raise
            await problem_from(_too_large(limit))(scope, receive, send)


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


__all__ = ["PayloadTooLarge", "RequestGuardMiddleware", "unstorable_text_error"]
