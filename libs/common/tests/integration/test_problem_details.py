"""problem+json shapes for every kind of error a caller can provoke."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from sme_common.errors import Conflict, InvalidInput, NotFound, install_problem_handlers
from sme_common.observability.middleware import ObservabilityMiddleware
from sme_common.rules import RuleViolation


class Body(BaseModel):
    amount_fen: int


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(ObservabilityMiddleware, service="test")

    @app.post("/things")
    async def create(body: Body) -> dict[str, int]:
        if body.amount_fen < 0:
            raise InvalidInput(
                "amount_negative",
                "amount must not be negative",
                "金额不能为负数",
                field="amount_fen",
            )
        if body.amount_fen == 409:
            raise Conflict("thing_exists", "thing exists", "已存在")
        if body.amount_fen == 404:
            raise NotFound("thing_not_found", "no such thing", "不存在", field="id")
        if body.amount_fen == 7:
            # A pure rule (a domain module cannot import the HTTP errors) reaching the edge.
            raise RuleViolation(
                "amount_unlucky", "7 is not accepted", "不接受金额 7", field="amount_fen"
            )
        if body.amount_fen == 500:
            raise RuntimeError("a bug")
        return {"amount_fen": body.amount_fen}

    return app


async def call(
    payload: object = None, content: bytes | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        if content is not None:
            return await client.post(
                "/things",
                content=content,
                headers={"content-type": "application/json", **(headers or {})},
            )
        return await client.post("/things", json=payload, headers=headers)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == "https://errors.sme.example/" + code.replace("_", "-")
    assert body["title"] and body["detail"] and body["detail_zh"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body  # type: ignore[no-any-return]


async def test_domain_error_names_code_field_and_both_languages() -> None:
    body = assert_problem(await call({"amount_fen": -1}), 422, "amount_negative")
    assert body["field"] == "amount_fen"
    assert body["detail_zh"] == "金额不能为负数"


async def test_a_rule_violation_is_a_422_with_its_code_field_and_both_languages() -> None:
    body = assert_problem(await call({"amount_fen": 7}), 422, "amount_unlucky")
    assert body["title"] == "Invalid input"
    assert (body["field"], body["detail"], body["detail_zh"]) == (
        "amount_fen",
        "7 is not accepted",
        "不接受金额 7",
    )


async def test_validation_error_lists_every_field() -> None:
    body = assert_problem(await call({"amount_fen": "lots", "extra": 1}), 422, "request_invalid")
    assert body["field"] == "amount_fen"
    assert isinstance(body["errors"], list)


async def test_a_missing_body_is_a_422_and_broken_json_a_400() -> None:
    assert_problem(await call(None), 422, "request_invalid")
    assert_problem(await call(content=b'{"amount_fen": '), 400, "json_invalid")
    assert_problem(await call(content=b"\xff\xfe"), 400, "json_invalid")


async def test_conflict_and_not_found() -> None:
    assert_problem(await call({"amount_fen": 409}), 409, "thing_exists")
    assert_problem(await call({"amount_fen": 404}), 404, "thing_not_found")


async def test_unexpected_error_is_a_problem_without_internals() -> None:
    body = assert_problem(await call({"amount_fen": 500}), 500, "internal_error")
    assert "a bug" not in str(body)


async def test_unknown_route_and_method_are_problems() -> None:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert_problem(await client.get("/nowhere"), 404, "not_found")
        assert_problem(await client.get("/things"), 405, "method_not_allowed")


async def test_request_id_and_traceparent_are_kept_from_the_caller() -> None:
    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    response = await call(
        {"amount_fen": 1}, headers={"x-request-id": "req-42", "traceparent": parent}
    )
    assert response.headers["x-request-id"] == "req-42"
    trace_id = response.headers["traceparent"].split("-")[1]
    assert trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert response.headers["traceparent"] != parent  # a new span in the caller's trace
