"""RFC 9457 problem details with a stable ``code``, an English and a Chinese message, and the field.

Services raise ``DomainError`` subclasses (named ones from ``sme_common.problems``), pure rules raise
``sme_common.rules.RuleViolation`` (a 422); the handlers installed by ``install_problem_handlers``
turn them, request validation errors and anything unexpected into ``application/problem+json``.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from typing import Any

import psycopg
import structlog
from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from sme_common.db.engine import is_transient_failure
from sme_common.observability.tracing import request_id_var
from sme_common.rules import RuleViolation

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://errors.sme.example/"

log = structlog.get_logger(__name__)


class DomainError(Exception):
    """An error a caller can act on. Subclasses fix ``status``; instances name the code and field."""

    status: int = 400
    title: str = "Request cannot be processed"

    def __init__(
        self,
        code: str,
        detail: str,
        detail_zh: str,
        *,
        field: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.detail_zh = detail_zh
        self.field = field
        if status is not None:
            self.status = status
        self.extra = extra or {}


class InvalidInput(DomainError):
    """Well-formed but unacceptable input (an invalid code, an unknown region, …)."""

    status = 422
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    """A business conflict: duplicate, stale version, illegal state transition."""

    status = 409
    title = "Conflict"


class PreconditionRequired(DomainError):
    """A change that must name the version it was based on (``If-Match`` or ``version``) did not."""

    status = 428
    title = "Precondition required"


class Unauthorized(DomainError):
    status = 401
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class TooManyRequests(DomainError):
    """A caller over its allowance; ``retry_after_s`` becomes the ``Retry-After`` header."""

    status = 429
    title = "Too many requests"

    def __init__(
        self,
        code: str,
        detail: str,
        detail_zh: str,
        *,
        retry_after_s: int,
        field: str | None = None,
    ) -> None:
        super().__init__(code, detail, detail_zh, field=field)
        self.retry_after_s = retry_after_s


def problem(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    detail_zh: str,
    field: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "detail_zh": detail_zh,
    }
    if field is not None:
        body["field"] = field
    body["request_id"] = request_id_var.get()
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def problem_from(error: DomainError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    if isinstance(error, TooManyRequests):
        headers = {"Retry-After": str(error.retry_after_s)}
    return problem(
        status=error.status,
        code=error.code,
        title=error.title,
        detail=error.detail,
        detail_zh=error.detail_zh,
        field=error.field,
        extra=error.extra,
        headers=headers,
    )


_VALIDATION_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "json_invalid": "请求体不是合法的 JSON",
    "string_too_long": "字符串过长",
    "string_too_short": "字符串过短",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式不正确，应为 YYYY-MM-DD",
    "date_parsing": "日期格式不正确，应为 YYYY-MM-DD",
    "int_parsing": "应为整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
}


def _field_path(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or ".".join(str(p) for p in loc)


async def _validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = [dict(e) for e in exc.errors()]
    first: dict[str, Any] = (
        errors[0] if errors else {"type": "invalid", "loc": (), "msg": "invalid request"}
    )
    first_type = str(first.get("type", ""))
    if any(err.get("type") == "json_invalid" for err in errors):
        # Not JSON at all is a malformed request (RFC 9110 §15.5.1), not invalid content: a 400.
        return problem(
            status=400,
            code="json_invalid",
            title="Malformed JSON",
            detail=f"The body is not valid JSON: {first.get('msg', '')}",
            detail_zh=_VALIDATION_ZH["json_invalid"],
        )
    details = [
        {
            "field": _field_path(err.get("loc", ())),
            "code": err.get("type", "invalid"),
            "detail": err.get("msg", ""),
            "detail_zh": _VALIDATION_ZH.get(err.get("type", ""), "字段取值无效"),
        }
        for err in errors
    ]
    return problem(
        status=422,
        code="request_invalid",
        title="Request validation failed",
        detail=f"{_field_path(first.get('loc', ()))}: {first.get('msg', '')}",
        detail_zh=f"请求校验失败：{_field_path(first.get('loc', ()))} "
        f"{_VALIDATION_ZH.get(first_type, '字段取值无效')}",
        field=_field_path(first.get("loc", ())),
        extra={"errors": details},
    )


_HTTP_CODES = {
    400: ("bad_request", "请求无效"),
    401: ("unauthenticated", "需要身份认证"),
    403: ("forbidden", "无权访问"),
    404: ("not_found", "资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
    406: ("not_acceptable", "不支持请求的格式"),
    409: ("conflict", "请求冲突"),
    413: ("payload_too_large", "请求体过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    429: ("too_many_requests", "请求过于频繁"),
}


def allowed_methods(app: Any, path: str) -> list[str]:
    """Every method some route of ``app`` answers at ``path`` (Starlette's 405 names only the
    methods of the first route whose path matched)."""
    methods: set[str] = set()
    for context in routing.iter_route_contexts(app.routes):
        path_format = context.path_format
        if path_format and compile_path(path_format)[0].match(path):
            methods |= set(context.methods or ())
    return sorted(methods)


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, zh = _HTTP_CODES.get(exc.status_code, ("http_error", "请求失败"))
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405 and (allowed := allowed_methods(request.app, request.url.path)):
        headers["Allow"] = ", ".join(allowed)
    return problem(
        status=exc.status_code,
        code=code,
        title=str(exc.detail) if isinstance(exc.detail, str) else code,
        detail=str(exc.detail),
        detail_zh=zh,
        headers=headers or None,
    )


async def _domain_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_from(exc)


def invalid_input_from(violation: RuleViolation) -> InvalidInput:
    """The 422 a broken rule is at the edge."""
    return InvalidInput(
        violation.code, violation.detail, violation.detail_zh, field=violation.field
    )


async def _rule_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RuleViolation)
    return problem_from(invalid_input_from(exc))


UNIQUE_VIOLATION = "23505"


def _sqlstate(exc: BaseException) -> str | None:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(orig, "sqlstate", None) if isinstance(orig, psycopg.Error) else None


def _is_nul_refused(exc: BaseException) -> bool:
    """psycopg refuses to send a NUL character (PostgreSQL text cannot hold one), before the query."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(orig, psycopg.DataError) and "NUL (0x00)" in str(orig)


def unexpected_error_response(exc: Exception, *, path: str) -> JSONResponse:
    """The answer to an exception no handler claimed, logged without what the caller sent.

    A unique violation that slipped past a service's own check (two concurrent inserts of one key)
    is the caller's conflict, not a server error; so is a NUL character that reached a query by a
    way the request guard does not read (a multipart form field or file name). A database that is
    away is a 503 to retry.
    """
    if _sqlstate(exc) == UNIQUE_VIOLATION:
        log.warning("unhandled_unique_violation", path=path, **error_fields(exc))
        return problem(
            status=409,
            code="conflict_duplicate",
            title="Conflict",
            detail="The resource already exists (a concurrent request created it); read it or retry.",
            detail_zh="资源已存在（并发请求已创建），请查询后重试",
        )
    if _is_nul_refused(exc):
        log.warning("unhandled_nul_character", path=path, **error_fields(exc))
        return problem(
            status=422,
            code="text_nul_character",
            title="Invalid input",
            detail="A text value holds the NUL character (U+0000), which is not allowed",
            detail_zh="文本中含有空字符（U+0000），不允许出现",
        )
    log.error("unhandled_error", path=path, **error_fields(exc))
    if is_transient_failure(exc):
        return problem(
            status=503,
            code="service_unavailable",
            title="Service unavailable",
            detail="A backing service (database) is unreachable; retry later.",
            detail_zh="后端服务暂不可用，请稍后重试",
            headers={"Retry-After": "5"},
        )
    return problem(
        status=500,
        code="internal_error",
        title="Internal error",
        detail="The server failed to process the request; it has been logged.",
        detail_zh="服务器内部错误，已记录",
    )


def error_fields(exc: BaseException) -> dict[str, Any]:
    """What a log line may say about an exception: its type, where it was raised, and for database
    errors the SQLSTATE and constraint. Never the message of a database error, which carries SQL
    parameters and the server's DETAIL line (``Key (uscc)=(…)``): personal data."""
    chain: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        if isinstance(current, SQLAlchemyError | psycopg.Error):
            chain.append(type(current).__name__)
        else:
            chain.append(f"{type(current).__name__}: {current}"[:500])
        current = current.__cause__ or current.__context__
    fields: dict[str, Any] = {
        "error": " <- ".join(chain),
        "traceback": "".join(traceback.format_tb(exc.__traceback__)),
    }
    if (sqlstate := _sqlstate(exc)) is not None:
        fields["sqlstate"] = sqlstate
        orig = exc.orig if isinstance(exc, DBAPIError) else exc
        diag = getattr(orig, "diag", None)
        fields["constraint"] = getattr(diag, "constraint_name", None)
    return fields


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(exc, path=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(RuleViolation, _rule_handler)
    app.add_exception_handler(Exception, _unexpected_handler)


class ProblemItem(BaseModel):
    """One of the errors of a ``request_invalid`` answer."""

    field: str
    code: str
    detail: str
    detail_zh: str


class Problem(BaseModel):
    """An error answer (RFC 9457 ``application/problem+json``): ``code`` is stable, the ``detail``
    texts are for people. A problem may carry more members (e.g. ``current_version``)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": PROBLEM_TYPE_BASE + "enterprise-not-found",
                    "title": "Not found",
                    "status": 404,
                    "code": "enterprise_not_found",
                    "detail": "No enterprise with this USCC in your region",
                    "detail_zh": "您的辖区内没有该统一社会信用代码的企业",
                    "request_id": "4f1c2a9e7b3d4e5f",
                }
            ]
        },
    )

    type: str
    title: str
    status: int
    code: str
    detail: str
    detail_zh: str
    field: str | None = None
    request_id: str | None = None
    errors: list[ProblemItem] | None = None


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"

# What each status means here, and the codes every operation that can answer it may carry. A
# router names its own codes with ``problems(404, codes={404: ("enterprise_not_found",)})``.
STATUS_MEANINGS: dict[int, tuple[str, tuple[str, ...]]] = {
    400: ("The body is not parseable JSON", ("json_invalid",)),
    401: ("Missing or invalid token", ("token_missing", "token_invalid", "token_expired")),
    403: ("Role, scope or region does not allow this", ("role_forbidden", "scope_missing")),
    404: ("Nothing there in your region", ()),
    409: ("Conflicts with the current state", ()),
    412: ("The If-Match version is not the current one", ()),
    413: ("The body is larger than this operation accepts", ("payload_too_large",)),
    415: ("The body's media type is not one this operation reads", ()),
    422: (
        "Invalid input",
        (
            "request_invalid",
            "query_parameter_unknown",
            "text_nul_character",
            "text_unpaired_surrogate",
        ),
    ),
    428: ("This change must name the version it is based on (If-Match or version)", ()),
    503: ("A backing service is unreachable; retry later", ("service_unavailable",)),
}


def problems(
    *statuses: int, codes: Mapping[int, Sequence[str]] | None = None, generic: bool = True
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for the error statuses it answers, typed ``Problem``, each
    listing its codes in ``x-error-codes`` (the generic ones of the status unless ``generic`` is
    false, and ``codes``)."""
    codes = codes or {}
    declared: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*statuses, *codes}):
        meaning, common = STATUS_MEANINGS.get(status, ("Error", ()))
        listed = list(dict.fromkeys([*(common if generic else ()), *codes.get(status, ())]))
        description = meaning + (": " + ", ".join(f"`{c}`" for c in listed) if listed else "")
        declared[status] = {
            "description": description,
            "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
            "x-error-codes": listed,
        }
    return declared
