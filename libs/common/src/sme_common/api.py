"""Small pieces every router uses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator
from pydantic_core import PydanticCustomError

from sme_common import idempotency
from sme_common.errors import InvalidInput
from sme_common.ids import USCC_PATTERN
from sme_common.text import normalize_code

_RFC3339_START = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")


def _rfc3339_only(value: object) -> object:
    if isinstance(value, str) and not _RFC3339_START.match(value):
        raise PydanticCustomError(
            "datetime_not_rfc3339",
            "expected an RFC 3339 instant such as 2026-11-26T08:00:00+08:00",
        )
    return value


Instant = Annotated[datetime, BeforeValidator(_rfc3339_only)]
"""A query parameter that is an instant, written as RFC 3339 (api-guidelines.md). Pydantic alone
would read ``updated_since=0`` as Unix time 0 and answer everything: fail closed instead."""


async def reject_unknown_query_parameters(request: Request) -> None:
    """Fail closed: an unknown filter is a 422, never "return everything" (api-guidelines.md)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = {name for param in _all_query_params(dependant) for name in _query_names(param)}
    for name in request.query_params:
        if name not in known:
            raise InvalidInput(
                "query_parameter_unknown",
                f"Unknown query parameter {name!r}",
                f"未知的查询参数：{name}",
                field=name,
            )


def query_model_names(model: type[BaseModel]) -> frozenset[str]:
    """The names a query-parameter model's fields are sent under (``Annotated[Filters,
    Query()]``)."""
    return frozenset(info.alias or name for name, info in model.model_fields.items())


def _query_names(param: object) -> frozenset[str]:
    """The names a query parameter is sent under: its own, or each field's of a query-parameter
    model."""
    annotation = getattr(getattr(param, "field_info", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return query_model_names(annotation)
    return frozenset({str(getattr(param, "alias", ""))})


def _all_query_params(dependant: object) -> list[object]:
    params = list(getattr(dependant, "query_params", []))
    for sub in getattr(dependant, "dependencies", []):
        params.extend(_all_query_params(sub))
    return params


ETAG_HEADER: dict[str, Any] = {
    "ETag": {
        "description": 'The version of the resource (`"3"`): send it back as `If-Match` to change '
        "it, or as `If-None-Match` to read it only if it changed",
        "schema": {"type": "string", "example": '"3"'},
    }
}
LOCATION_HEADER: dict[str, Any] = {
    "Location": {
        "description": "Where the created resource is read",
        "schema": {"type": "string", "format": "uri-reference"},
    }
}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {
        "description": "Not modified: `If-None-Match` names the current ETag",
        "headers": ETAG_HEADER,
    }
}
IDEMPOTENT: dict[str, Any] = {
    "parameters": [
        {
            "name": idempotency.HEADER,
            "in": "header",
            "required": False,
            "description": "A key of your own: a retry with the same key and body replays the "
            "first answer; the same key with another body is a 409 `idempotency_key_reused`",
            "schema": {"type": "string", "pattern": idempotency.KEY_PATTERN.pattern},
        }
    ]
}
"""``openapi_extra=`` of a POST that honours ``Idempotency-Key`` (the handler reads it itself)."""


def replay_header() -> dict[str, Any]:
    return {
        idempotency.REPLAY_HEADER: {
            "description": "`true` when this answer replays the first one of the same key",
            "schema": {"type": "string", "enum": ["true"]},
        }
    }


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/"3"`` and ``"3"`` name the same version."""
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


def versioned_response(
    body: BaseModel, version: int, *, if_none_match: str | None = None, status_code: int = 200
) -> Response:
    """A resource with its ``ETag``; 304 without a body when ``If-None-Match`` names it."""
    etag = f'"{version}"'
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status_code, headers={"ETag": etag}
    )


def as_code(value: object) -> object:
    """Codes arrive in any width and case (全角, lower case); other types fail validation later."""
    return normalize_code(value) if isinstance(value, str) else value


UsccPath = Annotated[str, BeforeValidator(as_code), Path(pattern=USCC_PATTERN)]
"""A USCC in the path, read like one in a body: any case and width."""
IdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
"""Opaque ids we issued (flag_…, person_…): letters, digits, '_' and '-'; nothing else reaches SQL."""

_ETAG = re.compile(r'^(W/)?"?([0-9]{1,9})"?$')


def expected_version(if_match: str | None, version: int | None) -> int | None:
    """The version a write expects, from ``If-Match`` (an ETag we sent: ``"3"``) or the body."""
    if if_match is None:
        return version
    match = _ETAG.match(if_match.strip())
    if match is None:
        raise InvalidInput(
            "if_match_invalid",
            'If-Match must be the ETag you read, e.g. "3"',
            'If-Match 应为读取时返回的 ETag，例如 "3"',
            field="If-Match",
        )
    etag_version = int(match.group(2))
    if version is not None and version != etag_version:
        raise InvalidInput(
            "if_match_mismatch",
            "If-Match and version disagree",
            "If-Match 与 version 不一致",
            field="If-Match",
        )
    return etag_version
