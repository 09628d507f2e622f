"""What every service's OpenAPI document says beyond what FastAPI derives from the routes: how to
authenticate (bearer JWT, or an OAuth2 client-credentials token from the issuer), which operations
are public, and the ``Problem`` answers every operation can give.

Done once here, from route metadata: the ``require(...)`` dependency of an operation names its
scope, its ``responses=problems(...)`` the errors of its own; the errors any operation can meet
(401/403 and 503 behind the token, 413 and 422 everywhere, 400 for JSON bodies, 404 where a path
names something) are added to each.
"""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_fields_from_routes, get_openapi
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from sme_common.auth.dependencies import RoleRequirement
from sme_common.errors import Problem, ProblemItem, problems

TOKEN_URL = "/api/auth/v1/token"  # noqa: S105 - a URL, not a secret
BEARER = "bearerAuth"
CLIENT_CREDENTIALS = "oauth2ClientCredentials"
_METHODS = ("get", "put", "post", "patch", "delete")
PUBLIC_MARK = "x-public"
PUBLIC: dict[str, Any] = {PUBLIC_MARK: True}
"""``openapi_extra=`` of an operation under ``/api/<service>/v1/`` that takes no token (e.g. the
public verification of a certificate): its route has no ``require(...)`` and the document says
``security: []``. Health, metrics and the documents themselves live outside ``/v1/`` and need no
mark."""


def route_id(route: APIRoute) -> str:
    """The operation id is the endpoint function's name (``register_enterprise``)."""
    return route.name


def _requirements(dependant: Dependant) -> list[RoleRequirement]:
    found = [dependant.call] if isinstance(dependant.call, RoleRequirement) else []
    for sub in dependant.dependencies:
        found.extend(_requirements(sub))
    return found


def _security_schemes(scopes: set[str]) -> dict[str, Any]:
    return {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A JWT from the province's identity provider, or from the token endpoint",
        },
        CLIENT_CREDENTIALS: {
            "type": "oauth2",
            "description": "Machine clients (agency systems): client credentials, RFC 6749 §4.4",
            "flows": {
                "clientCredentials": {
                    "tokenUrl": TOKEN_URL,
                    "scopes": {scope: f"the {scope} scope" for scope in sorted(scopes)},
                }
            },
        },
    }


def _add_problem_schemas(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (ProblemItem, Problem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema


def _restore_examples(document: dict[str, Any], app: FastAPI) -> None:
    """FastAPI drops every null from the document (``exclude_none``), nulls inside the models'
    examples too, and an example without its required nullable fields contradicts its own schema.
    Put the examples back as the models state them."""
    schemas = document.get("components", {}).get("schemas", {})
    for field in get_fields_from_routes(app.routes):
        if field.field_info.annotation is None:
            continue
        schema = TypeAdapter(field.field_info.annotation).json_schema(
            ref_template="#/components/schemas/{model}", mode=field.mode
        )
        named = {**schema.get("$defs", {}), schema.get("title", ""): schema}
        for name, definition in named.items():
            if "examples" in definition and name in schemas:
                schemas[name]["examples"] = definition["examples"]


def _complete_operation(
    operation: dict[str, Any], route: APIRoute, protected_prefix: str | None
) -> set[str]:
    """Security and the generic error answers of one operation; returns the scopes it needs."""
    protected = (
        protected_prefix is not None
        and route.path_format.startswith(protected_prefix)
        and not (route.openapi_extra or {}).get(PUBLIC_MARK, False)
    )
    requirements = _requirements(route.dependant)
    scopes = {r.scope for r in requirements if r.scope is not None}
    statuses = {413, 422}  # the request guard reads every request: any body may be too large
    if protected:
        operation["security"] = [{BEARER: []}, {CLIENT_CREDENTIALS: sorted(scopes)}]
        statuses |= {401, 403, 503}
        roles = sorted({role for r in requirements for role in r.roles})
        if roles:
            operation["x-roles"] = roles
    else:
        operation["security"] = []
    if route.dependant.path_params and protected:
        statuses.add(404)
    body = operation.get("requestBody", {}).get("content", {})
    if "application/json" in body:
        statuses.add(400)
    responses = operation.setdefault("responses", {})
    for status, response in problems(*statuses).items():
        declared = responses.setdefault(str(status), response)
        if status == 422:  # FastAPI's own 422 is typed HTTPValidationError: we answer a Problem
            declared["content"] = response["content"]
            declared["description"] = declared.get("description", response["description"])
            if declared["description"] == "Validation Error":
                declared["description"] = response["description"]
        if declared is not response:  # the route declared it: keep its codes, add the generic
            codes = declared.setdefault("x-error-codes", [])
            codes[:0] = [c for c in response["x-error-codes"] if c not in codes]
            declared.setdefault("content", response["content"])
    return scopes


def complete_openapi(app: FastAPI, protected_prefix: str | None) -> dict[str, Any]:
    """The app's OpenAPI document (built once), completed as the module docstring says. Operations
    under ``protected_prefix`` need a token; ``None``: none does (the token issuer)."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    _restore_examples(document, app)
    _add_problem_schemas(document)
    scopes: set[str] = set()
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or not context.include_in_schema:
            continue
        route = cast(APIRoute, context)  # an included route, as FastAPI's own document reads it
        path_item = document["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = path_item.get(method.lower())
            if operation is not None and method.lower() in _METHODS:
                scopes |= _complete_operation(operation, route, protected_prefix)
    for unused in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(unused, None)
    document["components"]["securitySchemes"] = _security_schemes(scopes)
    app.openapi_schema = document
    return document
