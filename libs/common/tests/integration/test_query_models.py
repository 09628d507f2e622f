"""Query-parameter models (``Annotated[Filters, Query()]``): their fields are the route's known
parameters, each validated as a plain parameter would be, anything else is refused by name."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, Field

from sme_common.api import reject_unknown_query_parameters
from sme_common.errors import install_problem_handlers


class Filters(BaseModel):
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    recorded_from: str | None = Field(default=None, alias="from")
    limit: int = Field(default=10, ge=1, le=50)


def build_app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(reject_unknown_query_parameters)])
    install_problem_handlers(app)

    @app.get("/things")
    async def list_things(
        filters: Annotated[Filters, Query()], format: str = "csv"
    ) -> dict[str, object]:
        return {**filters.model_dump(), "format": format}

    return app


async def get(params: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/things", params=params)


async def test_the_fields_of_a_query_model_and_the_routes_other_parameters_are_known() -> None:
    response = await get({"region_code": "620102", "from": "x", "limit": "5", "format": "xlsx"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "region_code": "620102",
        "recorded_from": "x",
        "limit": 5,
        "format": "xlsx",
    }


async def test_an_unknown_parameter_is_refused_by_name() -> None:
    response = await get({"region": "620102"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "query_parameter_unknown",
        "region",
    )


async def test_a_model_field_is_validated_like_a_parameter() -> None:
    response = await get({"limit": "500"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("request_invalid", "limit")


def test_the_openapi_document_lists_each_field_as_a_query_parameter() -> None:
    operation = build_app().openapi()["paths"]["/things"]["get"]
    names = {(p["name"], p["in"]) for p in operation["parameters"]}
    assert names == {
        ("region_code", "query"),
        ("from", "query"),
        ("limit", "query"),
        ("format", "query"),
    }
