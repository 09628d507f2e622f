"""Small pieces every router uses."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Request
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from sme_common.errors import InvalidInput

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
    known = {str(getattr(param, "alias", "")) for param in _all_query_params(dependant)}
    for name in request.query_params:
        if name not in known:
            raise InvalidInput(
                "query_parameter_unknown",
                f"Unknown query parameter {name!r}",
                f"未知的查询参数：{name}",
                field=name,
            )


def _all_query_params(dependant: object) -> list[object]:
    params = list(getattr(dependant, "query_params", []))
    for sub in getattr(dependant, "dependencies", []):
        params.extend(_all_query_params(sub))
    return params
