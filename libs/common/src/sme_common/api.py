"""Small pieces every router uses."""

from __future__ import annotations

from fastapi import Request

from sme_common.errors import InvalidInput


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
